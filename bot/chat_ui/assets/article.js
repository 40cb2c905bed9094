// Runs once when the article panel mounts: table-of-contents links and the "back to chat" button.

element.addEventListener("click", (event) => {
  const goto = event.target.closest("[data-goto]");
  if (goto) {
    event.preventDefault();
    const target = document.getElementById(goto.dataset.goto);
    const body = target && target.closest(".jj-article-body");
    if (body) {
      const top = body.scrollTop + target.getBoundingClientRect().top - body.getBoundingClientRect().top;
      body.scrollTo({ top, behavior: "smooth" });
    }
    return;
  }
  const back = event.target.closest(".jj-back");
  if (back) {
    const root = document.querySelector("#jj-article");
    const card = root && document.getElementById(root.dataset.back || "");
    if (card) card.scrollIntoView({ behavior: "smooth", block: "center" });
    back.hidden = true;
  }
});
