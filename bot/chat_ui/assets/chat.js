// Runs once when the chat mounts (`element` is its root; `trigger` and `watch` come from
// Gradio's HTML component). Handles [n] links, source cards, feedback, copying, folding long
// questions, the questions offered next, the question box's counter and hints, and keeps the
// newest question at the top of the chat with its answer growing below it.

const WIDE = window.matchMedia("(min-width: 900px)");
const opened = new Set(); // turns whose long question is unfolded
let focusKey = null; // data-key of the control last focused in the chat
let shownTurns = Number((element.querySelector(".jj-log") || {}).dataset?.turns || 0);

function panel() {
  return document.querySelector("#jj-article");
}

function flash(el) {
  el.classList.remove("jj-flash");
  void el.offsetWidth;
  el.classList.add("jj-flash");
}

// Scroll the article panel's own text to `target`; move the page only if the panel is off screen.
function reveal(target, at = 0.3) {
  const body = target.closest(".jj-article-body");
  if (!body) return target.scrollIntoView({ behavior: "smooth", block: "center" });
  const box = body.getBoundingClientRect();
  const top = body.scrollTop + target.getBoundingClientRect().top - box.top - body.clientHeight * at;
  body.scrollTo({ top, behavior: "smooth" });
  if (box.top < 0 || box.bottom > window.innerHeight) {
    body.closest(".jj-panel").scrollIntoView({ behavior: "smooth", block: "start" });
  }
}

function clearHits(root) {
  root.querySelectorAll("mark.jj-hit").forEach((mark) => {
    const parent = mark.parentNode;
    parent.replaceChild(document.createTextNode(mark.textContent), mark);
    parent.normalize();
  });
}

// Highlight the card's span (browser string offsets into its source file) in the article panel.
function showInArticle(card) {
  const root = panel();
  if (!root || card.dataset.s === undefined) return false;
  const start = Number(card.dataset.s);
  const end = Number(card.dataset.e);
  const article = Array.from(root.querySelectorAll("article")).find(
    (a) => a.dataset.source === card.dataset.source,
  );
  if (!article) return false;
  clearHits(root);
  let first = null;
  article.querySelectorAll(".jj-seg").forEach((seg) => {
    const text = seg.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) return;
    const segStart = Number(seg.dataset.s);
    const lo = Math.max(start, segStart);
    const hi = Math.min(end, segStart + text.length);
    if (lo >= hi) return;
    const middle = text.splitText(lo - segStart);
    middle.splitText(hi - lo);
    const mark = document.createElement("mark");
    mark.className = "jj-hit";
    middle.parentNode.replaceChild(mark, middle);
    mark.appendChild(middle);
    first = first || mark;
  });
  if (!first) return false;
  reveal(first);
  const back = root.querySelector(".jj-back");
  if (back && !WIDE.matches) {
    root.dataset.back = card.id;
    back.hidden = false;
  }
  return true;
}

function openCard(card) {
  element.querySelectorAll(".jj-card.jj-active").forEach((c) => c.classList.remove("jj-active"));
  card.classList.add("jj-active");
  showInArticle(card);
}

function say(text) {
  const live = element.querySelector(".jj-live");
  if (live) live.textContent = text;
}

// The line under the question box: a hint, or the character count near the limit.
function note(text, warn = false) {
  const box = document.querySelector("#jj-note-box .jj-note");
  if (!box) return;
  box.textContent = text;
  box.classList.toggle("jj-warn", warn);
}

function questionBox() {
  return document.querySelector("#jj-question textarea");
}

function maxChars() {
  const box = document.querySelector("#jj-note-box .jj-note");
  return Number(box && box.dataset.max) || 1000;
}

function count() {
  const box = questionBox();
  if (!box) return;
  const n = box.value.length;
  const max = maxChars();
  if (n >= max) note(`${n}/${max} 字，已到上限`, true);
  else if (n >= max * 0.8) note(`${n}/${max} 字，还能输入 ${max - n} 字`);
  else note("");
}

function busy() {
  const log = element.querySelector(".jj-log");
  return log && log.dataset.busy === "1";
}

// Before a question is sent: say why nothing happens for spaces or while still answering.
function checkSend() {
  const box = questionBox();
  if (!box) return;
  if (!box.value.trim()) note("请先输入问题，再按发送。", true);
  else if (busy()) note("请等这个回答显示完，再问下一个问题。", true);
}

async function copy(button) {
  const text = button.dataset.copy || "";
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (e) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    done = document.execCommand("copy");
    area.remove();
  }
  button.textContent = done ? "已复制" : "复制失败";
  say(done ? "已复制回答和出处" : "复制失败，请手动选中文字复制");
  setTimeout(() => {
    button.textContent = "复制";
  }, 2000);
}

function applyOpened() {
  element.querySelectorAll(".jj-long").forEach((bubble) => {
    const turn = Number(bubble.closest(".jj-turn").dataset.turn);
    const open = opened.has(turn);
    bubble.classList.toggle("jj-open", open);
    const more = bubble.querySelector(".jj-more");
    more.setAttribute("aria-expanded", String(open));
    more.textContent = open ? "收起" : "展开";
  });
}

element.addEventListener("click", (event) => {
  if (event.target.closest(".jj-new")) {
    opened.clear();
    trigger("new_chat");
    return;
  }
  const ref = event.target.closest(".jj-ref");
  if (ref) {
    event.preventDefault();
    const card = document.getElementById(ref.dataset.card);
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    flash(card);
    if (WIDE.matches) openCard(card);
    return;
  }
  const goto = event.target.closest("[data-goto]");
  if (goto) {
    event.preventDefault();
    const target = document.getElementById(goto.dataset.goto);
    if (target) {
      reveal(target, 0);
      flash(target);
    }
    return;
  }
  const card = event.target.closest(".jj-card[data-s]");
  if (card) {
    openCard(card);
    return;
  }
  const more = event.target.closest(".jj-more");
  if (more) {
    const turn = Number(more.closest(".jj-turn").dataset.turn);
    if (opened.has(turn)) opened.delete(turn);
    else opened.add(turn);
    applyOpened();
    return;
  }
  const ask = event.target.closest(".jj-ask");
  if (ask) {
    if (busy()) return note("请等这个回答显示完，再问下一个问题。", true);
    trigger("ask_next", { question: ask.dataset.q });
    return;
  }
  const copyButton = event.target.closest(".jj-copy");
  if (copyButton) {
    copy(copyButton);
    return;
  }
  const rate = event.target.closest(".jj-rate");
  if (rate) {
    const box = rate.closest(".jj-feedback");
    box.dataset.rating = rate.dataset.rate;
    box.querySelectorAll(".jj-rate").forEach((b) => b.setAttribute("aria-pressed", String(b === rate)));
    const form = box.querySelector(".jj-fb-form");
    form.hidden = false;
    form.querySelector("textarea").focus();
    return;
  }
  const send = event.target.closest(".jj-fb-send");
  if (send) {
    const box = send.closest(".jj-feedback");
    if (!box.dataset.rating) return;
    send.disabled = true;
    send.textContent = "正在提交…";
    trigger("feedback", {
      turn: Number(box.dataset.turn),
      rating: box.dataset.rating,
      comment: box.querySelector("textarea").value,
    });
  }
});

element.addEventListener("keydown", (event) => {
  const card = event.target.closest(".jj-card[data-s]");
  if (card && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    openCard(card);
  }
});

element.addEventListener("focusin", (event) => {
  const keyed = event.target.closest("[data-key]");
  focusKey = keyed ? keyed.dataset.key : null;
});

// The question box lives outside this component: listen on the document.
document.addEventListener("input", (event) => {
  if (event.target === questionBox()) count();
});
document.addEventListener(
  "keydown",
  (event) => {
    if (event.target === questionBox() && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      checkSend();
    }
  },
  true,
);
document.addEventListener(
  "click",
  (event) => {
    if (event.target.closest("#jj-send")) checkSend();
  },
  true,
);
document.addEventListener("paste", (event) => {
  const box = questionBox();
  if (event.target !== box || !event.clipboardData) return;
  const pasted = event.clipboardData.getData("text").length;
  const kept = box.value.length - (box.selectionEnd - box.selectionStart);
  const max = maxChars();
  if (kept + pasted > max) {
    setTimeout(() => note(`粘贴的内容超过了 ${max} 字，只放进了前面的部分（${box.value.length}/${max}）。`, true));
  }
});

// The chat and the article take the screen height left over by what is above and below them.
function fit() {
  const log = element.querySelector(".jj-log");
  const last = document.querySelector("#jj-note-box");
  if (!log || !last) return;
  const root = document.documentElement;
  const below = last.getBoundingClientRect().bottom - log.getBoundingClientRect().bottom;
  const top = log.getBoundingClientRect().top + window.scrollY;
  const height = Math.max(260, Math.floor(window.innerHeight - top - below - 10));
  root.style.setProperty("--jj-log-h", `${height}px`);
  const body = document.querySelector(".jj-article-body");
  if (body && WIDE.matches) {
    const at = body.getBoundingClientRect().top + window.scrollY;
    root.style.setProperty("--jj-article-h", `${Math.max(260, Math.floor(window.innerHeight - at - 16))}px`);
  } else root.style.removeProperty("--jj-article-h");
}
let fitting = 0;
function refit() {
  cancelAnimationFrame(fitting);
  fitting = requestAnimationFrame(fit);
}
window.addEventListener("resize", refit);
new ResizeObserver(refit).observe(document.querySelector(".gradio-container") || document.body);
refit();

// After each update: unfold what was unfolded, keep the focus, and put a new question at the
// top of the chat so its answer grows below it in view.
watch("value", () => {
  applyOpened();
  const active = document.activeElement;
  if (focusKey && (!active || active === document.body)) {
    const i = focusKey.split("-")[1];
    const target =
      element.querySelector(`[data-key="${focusKey}"]`) || element.querySelector(`[data-key="fb-${i}"]`);
    if (target) target.focus({ preventScroll: true });
  }
  const log = element.querySelector(".jj-log");
  if (!log) return;
  const turns = Number(log.dataset.turns);
  if (turns !== shownTurns) {
    const last = log.querySelector(".jj-turn:last-child");
    log.scrollTop = last && turns > shownTurns ? log.scrollTop + last.getBoundingClientRect().top - log.getBoundingClientRect().top - 8 : 0;
    if (turns > shownTurns && shownTurns >= 0) {
      const box = log.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        element.scrollIntoView({ block: box.top < 0 ? "start" : "end" });
      }
      note("");
    }
  }
  shownTurns = turns;
});
