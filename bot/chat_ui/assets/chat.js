// Runs once when the chat log mounts (`element` is its root; `trigger` and `watch` come from
// Gradio's HTML component). Handles [n] links, source cards, feedback and scrolling.

const WIDE = window.matchMedia("(min-width: 900px)");

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

element.addEventListener("click", (event) => {
  if (event.target.closest(".jj-new")) {
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

// Keep the newest question in view while its answer streams in.
let shownTurns = -1;
watch("value", () => {
  const log = element.querySelector(".jj-log");
  if (!log) return;
  const turns = Number(log.dataset.turns);
  if (turns !== shownTurns || log.dataset.busy === "1") {
    const last = log.querySelector(".jj-turn:last-child");
    log.scrollTop = last
      ? log.scrollTop + last.getBoundingClientRect().top - log.getBoundingClientRect().top - 8
      : 0;
  }
  shownTurns = turns;
});
