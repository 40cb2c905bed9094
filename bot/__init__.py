"""A grounded, cited question-answering bot over the documents in docs/.

from bot import Bot
bot = Bot.from_env()
answer = bot.ask("2019年GDP是多少？", history=[("上一个问题", "上一个回答")])
print(answer.to_dict())
"""

from bot.values import Answer, Citation, Hit

__all__ = ["Answer", "Bot", "Citation", "Hit"]


def __getattr__(name):
    # Bot pulls in the retrieval stack; import it only when asked for.
    if name == "Bot":
        from bot.chain import Bot

        return Bot
    raise AttributeError(name)
