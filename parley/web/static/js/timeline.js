// The message list: confirmed messages in seq order, each shown once (deduplicated by seq
// and by client_msg_id), own messages pending at the bottom until their ack or their echo,
// older pages prepended without moving what the reader is looking at, and `message_update`
// frames applied by replacing the message's element (they carry its whole current state).
import { data, t } from "./page-data.js";
import { messageElement } from "./render.js";

const NEAR_BOTTOM_PX = 120;

export class Timeline {
  constructor(list, scroller) {
    this.list = list;
    this.scroller = scroller;
    this.bySeq = new Map();
    this.state = new Map(); // seq -> the message as last received
    this.updatedAt = new Map(); // seq -> the seq of the last message_update applied to it
    this.provisional = new Set(); // seqs shown from an ack alone (no html yet)
    this.pending = new Map(); // client_msg_id -> {li, body, sent}
    this.onReplace = null; // (oldLi, newLi, message) when an element is rebuilt
    this.newest = 0;
    this.oldest = null;
    this.divider = null;
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Where a confirmed message with `seq` goes: before the first later one or the pending. */
  anchorFor(seq) {
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.seq && Number(node.dataset.seq) < seq) return node.nextElementSibling;
    }
    return this.list.firstElementChild;
  }

  /** Add a confirmed message (history or live); returns true if it was new. */
  add(message) {
    if (this.bySeq.has(message.seq)) {
      // our own echo after its ack: now we have the whole message (html, reply quote)
      if (this.provisional.delete(message.seq)) this.replace(message);
      return false;
    }
    const own = message.client_msg_id && data.me && message.sender && message.sender.id === data.me.id;
    const waiting = own ? this.pending.get(message.client_msg_id) : undefined;
    if (waiting) {
      this.pending.delete(message.client_msg_id);
      waiting.li.remove();
    }
    this.insert(message);
    return true;
  }

  insert(message) {
    const li = messageElement(message);
    this.list.insertBefore(li, this.anchorFor(message.seq));
    this.bySeq.set(message.seq, li);
    this.state.set(message.seq, message);
    this.newest = Math.max(this.newest, message.seq);
    this.oldest = this.oldest === null ? message.seq : Math.min(this.oldest, message.seq);
    return li;
  }

  /** Rebuild a shown message's element from `message`, keeping focus and an open toolbar. */
  replace(message) {
    const old = this.bySeq.get(message.seq);
    if (!old) return null;
    const li = messageElement(message);
    const focused = old.contains(document.activeElement) ? document.activeElement : null;
    const action = focused?.dataset?.action;
    if (old.classList.contains("tools-open")) {
      li.classList.add("tools-open");
      li.querySelector(".msg-more")?.setAttribute("aria-expanded", "true");
    }
    if (old.classList.contains("flash")) li.classList.add("flash");
    old.replaceWith(li);
    this.bySeq.set(message.seq, li);
    this.state.set(message.seq, message);
    this.onReplace?.(old, li, message);
    if (focused) {
      const again = action ? li.querySelector(`[data-action="${CSS.escape(action)}"]`) : null;
      (again ?? li).focus();
    }
    return li;
  }

  /** A `message_update` frame: its seq counts for resuming; applied unless older than shown. */
  update(frame) {
    this.newest = Math.max(this.newest, frame.seq);
    const message = frame.message;
    if (!message || !this.bySeq.has(message.seq)) return null;
    if ((this.updatedAt.get(message.seq) ?? 0) >= frame.seq) return null;
    this.updatedAt.set(message.seq, frame.seq);
    this.provisional.delete(message.seq);
    return this.replace(message);
  }

  message(seq) {
    return this.state.get(seq);
  }

  /** My newest message that can still be edited (for the ↑ key). */
  lastOwn() {
    const seqsNewestFirst = [...this.state.keys()].sort((a, b) => b - a);
    for (const seq of seqsNewestFirst) {
      const message = this.state.get(seq);
      if (message.sender && data.me && message.sender.id === data.me.id && !message.deleted && message.kind !== "system") {
        return message;
      }
    }
    return null;
  }

  /** An ack for one of our sends: the pending element becomes that seq (unless already there). */
  ack(frame) {
    const waiting = this.pending.get(frame.client_msg_id);
    if (!waiting) return;
    this.pending.delete(frame.client_msg_id);
    waiting.li.remove();
    if (this.bySeq.has(frame.seq)) return; // the echo arrived first and is already shown
    this.insert({
      ...waiting.message,
      seq: frame.seq,
      id: frame.id,
      room_id: frame.room_id,
    });
    this.provisional.add(frame.seq); // the echo (or a reload) brings its html
  }

  /** `extra`: `{to, to_name, attachments, files}` of a whisper or a message with files. */
  addPending(clientMsgId, body, extra = {}) {
    const message = {
      kind: extra.to ? "whisper" : "text",
      body,
      to: extra.to,
      to_name: extra.to_name,
      attachments: extra.files,
      reply_to: extra.reply ?? null,
      client_msg_id: clientMsgId,
      sender: data.me,
      created_at: new Date().toISOString(),
    };
    const li = messageElement(message);
    li.classList.add("pending");
    li.querySelector(".msg-status").textContent = t("sending");
    this.list.append(li);
    this.pending.set(clientMsgId, {
      li,
      body,
      message,
      to: extra.to,
      attachments: extra.attachments,
      replyTo: extra.reply?.id,
    });
    this.scrollToBottom();
  }

  markFailed(clientMsgId, reason, retry) {
    const waiting = this.pending.get(clientMsgId);
    if (!waiting) return;
    waiting.li.classList.add("failed");
    waiting.li.querySelector(".msg-status").textContent = `${t("failed")}: ${reason}`;
    if (!waiting.li.querySelector(".msg-retry")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button msg-retry";
      button.textContent = t("retry");
      button.addEventListener("click", () => {
        waiting.li.classList.remove("failed");
        waiting.li.querySelector(".msg-status").textContent = t("sending");
        button.remove();
        retry(clientMsgId);
      });
      waiting.li.querySelector(".msg-head").append(button);
    }
  }

  /** Prepend an older page, keeping the visible messages where they are. */
  prepend(items) {
    const before = this.scroller.scrollHeight - this.scroller.scrollTop;
    for (const message of items) this.add(message);
    this.scroller.scrollTop = this.scroller.scrollHeight - before;
  }

  /** The "new messages" line before the first unread message someone else wrote. */
  markUnread(lastReadSeq) {
    for (const [seq, li] of [...this.bySeq.entries()].sort((a, b) => a[0] - b[0])) {
      if (seq > lastReadSeq && !li.classList.contains("mine") && !li.classList.contains("system")) {
        this.divider = document.createElement("li");
        this.divider.className = "divider";
        this.divider.setAttribute("role", "separator");
        this.divider.textContent = t("new_messages");
        this.list.insertBefore(this.divider, li);
        return this.divider;
      }
    }
    return null;
  }

  /** Forget every confirmed message (after a `reset`); pending sends stay. */
  clear() {
    for (const li of this.bySeq.values()) li.remove();
    this.divider?.remove();
    for (const gap of this.list.querySelectorAll(".gap")) gap.remove();
    this.bySeq.clear();
    this.state.clear();
    this.updatedAt.clear();
    this.provisional.clear();
    this.newest = 0;
    this.oldest = null;
  }
}
