// Jumping to a message (a reply's original, a pinned message, a copied link): if it is not
// shown, the page centred on it is loaded (`around_seq`) above what is shown; the messages
// between the two are loaded as the reader scrolls into the gap (or presses its button).
// The message is scrolled into view, focused and highlighted for a moment.
import { api } from "./api.js";
import { t } from "./page-data.js";

const PAGE = 50;
const GAP_PAGE = 100;
const FLASH_MS = 2500;

export class Jumper {
  /** `hooks`: {setOlder(more), status(text, isError)} */
  constructor(roomId, timeline, hooks) {
    this.roomId = roomId;
    this.timeline = timeline;
    this.hooks = hooks;
    this.filling = false;
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) if (entry.isIntersecting) this.fill(entry.target);
      },
      { root: timeline.scroller },
    );
  }

  async jump(seq) {
    let li = this.timeline.bySeq.get(seq);
    if (!li) {
      try {
        await this.loadAround(seq);
      } catch {
        this.hooks.status(t("error"), true);
        return;
      }
      li = this.timeline.bySeq.get(seq);
    }
    if (!li) {
      this.hooks.status(t("jump_missing"), true);
      return;
    }
    li.scrollIntoView({ block: "center" });
    li.focus({ preventScroll: true });
    li.classList.remove("flash");
    void li.offsetWidth; // restart the highlight when jumping to the same message again
    li.classList.add("flash");
    clearTimeout(li.flashTimer);
    li.flashTimer = setTimeout(() => li.classList.remove("flash"), FLASH_MS);
  }

  async loadAround(seq) {
    const page = await api("GET", `/api/v1/rooms/${this.roomId}/messages?around_seq=${seq}&limit=${PAGE}`);
    const items = page.items ?? [];
    if (!items.length) return;
    const shownOldest = this.timeline.oldest;
    for (const message of items) this.timeline.add(message);
    const pageNewest = Math.max(...items.map((m) => m.seq));
    const pageOldest = Math.min(...items.map((m) => m.seq));
    // `has_more` is about older messages, `has_more_after` about newer ones
    if (shownOldest !== null && pageNewest < shownOldest && page.has_more_after !== false) {
      this.addGap(pageNewest, shownOldest);
    }
    if (shownOldest === null || pageOldest < shownOldest) this.hooks.setOlder(page.has_more !== false);
  }

  addGap(after, before) {
    const li = document.createElement("li");
    li.className = "gap";
    li.dataset.after = String(after);
    li.dataset.before = String(before);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = t("load_between");
    button.addEventListener("click", () => this.fill(li));
    li.append(button);
    this.timeline.list.insertBefore(li, this.timeline.bySeq.get(before) ?? null);
    this.observer.observe(li);
  }

  /** Load the next page after the gap's start; the gap closes when it meets the next message. */
  async fill(gap) {
    if (this.filling || !gap.isConnected) return;
    this.filling = true;
    try {
      const after = Number(gap.dataset.after);
      const before = Number(gap.dataset.before);
      const page = await api("GET", `/api/v1/rooms/${this.roomId}/messages?after_seq=${after}&limit=${GAP_PAGE}`);
      const items = (page.items ?? []).filter((m) => m.seq < before);
      for (const message of items) this.timeline.add(message);
      const reached = (page.items ?? []).some((m) => m.seq >= before);
      if (!page.has_more || reached || !items.length) {
        this.observer.unobserve(gap);
        gap.remove();
      } else {
        gap.dataset.after = String(Math.max(...items.map((m) => m.seq)));
        this.timeline.list.insertBefore(gap, this.timeline.bySeq.get(before) ?? null);
      }
    } catch {
      /* the button stays; the reader may try again */
    } finally {
      this.filling = false;
    }
  }
}
