// The room page: history (newest page, then older pages as the reader scrolls up), live
// messages over /ws with resume after reconnects, sending with pending/ack and safe
// retries, typing, read markers, presence and membership changes; message updates (edits,
// deletes, reactions, pins) applied live, replies, mentions and jumps (tools.js, jump.js).
import { api } from "./api.js";
import { Calls } from "./call.js";
import { CommandBox, ComposerChips, showStatus } from "./composer.js";
import { EmojiPicker } from "./emoji.js";
import { Jumper } from "./jump.js";
import { MentionBox } from "./mentions.js";
import { data, errorText, t } from "./page-data.js";
import { Members, initInvites } from "./members.js";
import { Pins } from "./pins.js";
import { claim, listen, socket, start as startSocket } from "./live.js";
import { initRoomAdmin } from "./room-admin.js";
import { initRoomNotify } from "./room-notify.js";
import { setNameLookup } from "./render.js";
import { SeenBy } from "./seen.js";
import { Timeline } from "./timeline.js";
import { MessageActions } from "./tools.js";

const PAGE = 50;
const TYPING_SEND_MS = 3000;
const TYPING_SHOW_MS = 5000;
const READ_EVERY_MS = 1000;

const roomId = data.room.id;
const $ = (id) => document.getElementById(id);
const timeline = new Timeline($("messages"), $("timeline-scroll"));
const members = new Members(roomId, $("member-list"), $("people-count"));
const input = $("message-input");
const olderButton = $("load-older");
const typers = new Map(); // member id -> timeout
let subscribed = false;
let removed = false;
let hasOlder = false;
let loadingOlder = false;
let lastTypingSent = 0;
let readSent = data.last_read_seq;
let readTimer = null;
const chips = new ComposerChips(input);

// the tab's one socket (live.js): this page subscribes to its room, the shell to the others
claim(roomId);
listen({
  onFrame: handleFrame,
  onState: showState,
  onDown: () => {
    subscribed = false;
  },
});
const seen = new SeenBy(timeline, members);
members.onChange = () => seen.fromMembers();
// `?answer={member}`: the member accepted this call on another page (ring.js): answer it here
const answering = Number(new URLSearchParams(location.search).get("answer")) || null;
const nameOf = (id) => members.nickname(id) || t("someone");
const calls = new Calls(roomId, socket, nameOf, $("call"));
setNameLookup((id) => members.nickname(id));
members.extraActions = (member) => [
  actionButton(t("whisper_action"), t("whisper_named", { name: member.nickname }), () => chips.setWhisper(member)),
  actionButton(t("call_action"), t("call_named", { name: member.nickname }), () => calls.start(member.id)),
];

const picker = new EmojiPicker($("emoji-picker"));
const mentions = new MentionBox(input, $("mention-list"), members);
const commands = new CommandBox(input, $("command-list"));
const jumper = new Jumper(roomId, timeline, { setOlder: (more) => setHasOlder(more), status: showStatus });
const pins = new Pins(roomId, $("pins"), (seq) => jumper.jump(seq));
const actions = new MessageActions(roomId, timeline, {
  picker,
  status: showStatus,
  reply: (message) => chips.setReply(message),
  jump: (seq) => jumper.jump(seq),
});

function actionButton(label, accessibleName, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary small";
  button.textContent = label;
  button.setAttribute("aria-label", accessibleName);
  button.addEventListener("click", onClick);
  return button;
}

function showState(state) {
  const node = $("connection");
  node.dataset.state = state;
  node.textContent = t(state);
}

function alertBox(text) {
  const box = $("room-alert");
  box.textContent = text;
  box.hidden = !text;
}

function newClientMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `w-${Date.now().toString(36)}-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// -- history -------------------------------------------------------------------------------

async function loadLatest() {
  const page = await api("GET", `/api/v1/rooms/${roomId}/messages?limit=${PAGE}`);
  for (const message of page.items) timeline.add(message);
  setHasOlder(page.has_more);
}

async function loadOlder() {
  if (!hasOlder || loadingOlder || timeline.oldest === null) return;
  loadingOlder = true;
  try {
    const url = `/api/v1/rooms/${roomId}/messages?before_seq=${timeline.oldest}&limit=${PAGE}`;
    const page = await api("GET", url);
    timeline.prepend(page.items);
    setHasOlder(page.has_more);
  } catch {
    /* the button stays; the reader may try again */
  } finally {
    loadingOlder = false;
  }
  // the observer only reports changes: if the top is still in view, keep filling it
  if (hasOlder && edgeInView()) requestAnimationFrame(loadOlder);
}

function edgeInView() {
  const edge = olderButton.getBoundingClientRect();
  const view = $("timeline-scroll").getBoundingClientRect();
  return edge.bottom > view.top && edge.top < view.bottom;
}

function setHasOlder(more) {
  hasOlder = more;
  olderButton.hidden = !more;
  $("history-start").hidden = more;
}

// -- sending -------------------------------------------------------------------------------

function transmit(clientMsgId) {
  const waiting = timeline.pending.get(clientMsgId);
  if (waiting && subscribed) {
    const frame = { type: "send", room_id: roomId, client_msg_id: clientMsgId, body: waiting.body };
    if (waiting.to) frame.to = waiting.to;
    if (waiting.attachments?.length) frame.attachments = waiting.attachments;
    if (waiting.replyTo) frame.reply_to = waiting.replyTo;
    socket.send(frame);
  }
}

function submit() {
  if (removed || chips.uploading) return;
  const { attachment, whisperTo, replyTo } = chips;
  const body = input.value.trim() || (attachment ? attachment.name : "");
  if (!body) return;
  if (body.length > data.max_chars) {
    alertBox(errorText("body_too_long"));
    return;
  }
  alertBox("");
  const clientMsgId = newClientMsgId();
  const extra = {};
  if (whisperTo) Object.assign(extra, { to: whisperTo.id, to_name: whisperTo.nickname });
  if (attachment) Object.assign(extra, { attachments: [attachment.id], files: [attachment] });
  if (replyTo) extra.reply = replyTo;
  timeline.addPending(clientMsgId, body, extra);
  input.value = "";
  chips.setAttachment(null);
  if (replyTo) chips.setReply(null);
  mentions.close();
  commands.close();
  lastTypingSent = 0; // the next keystroke starts a new message: say so at once
  transmit(clientMsgId); // if not connected, it goes out after the next `subscribed`
}

function sendTyping() {
  const now = Date.now();
  if (subscribed && now - lastTypingSent > TYPING_SEND_MS) {
    lastTypingSent = now;
    socket.send({ type: "typing", room_id: roomId });
  }
}

// -- read markers --------------------------------------------------------------------------

function sendRead() {
  if (timeline.newest > readSent && subscribed) {
    readSent = timeline.newest;
    socket.send({ type: "read", room_id: roomId, seq: readSent });
  }
}

function markRead() {
  if (document.visibilityState !== "visible" || !subscribed || timeline.newest <= readSent) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(sendRead, READ_EVERY_MS);
}

// -- typing --------------------------------------------------------------------------------

function showTyping() {
  const names = [...typers.keys()].map((id) => members.nickname(id)).filter(Boolean);
  $("typing").textContent =
    names.length === 0 ? "" : names.length === 1 ? t("typing_one", { name: names[0] }) : t("typing_many");
}

function someoneTyping(memberId) {
  clearTimeout(typers.get(memberId));
  typers.set(
    memberId,
    setTimeout(() => {
      typers.delete(memberId);
      showTyping();
    }, TYPING_SHOW_MS),
  );
  showTyping();
}

function stoppedTyping(memberId) {
  if (typers.has(memberId)) {
    clearTimeout(typers.get(memberId));
    typers.delete(memberId);
    showTyping();
  }
}

// -- frames --------------------------------------------------------------------------------

function loseRoom(text) {
  removed = true;
  alertBox(text);
  input.disabled = true;
  $("send-button").disabled = true;
}

async function resetHistory() {
  timeline.clear();
  try {
    await loadLatest();
  } catch {
    /* the next reconnect tries again */
  }
  timeline.scrollToBottom();
}

const handlers = {
  ready() {
    socket.send({ type: "subscribe", room_id: roomId, after_seq: timeline.newest });
    members.selfOnline = true; // my own socket is up: my dot is online now, not at the next presence
    members.setOnline(data.me.id, true);
  },
  subscribed(frame) {
    if (frame.room_id !== roomId) return;
    subscribed = true;
    for (const clientMsgId of timeline.pending.keys()) transmit(clientMsgId);
    markRead();
    if (answering && calls.state !== "connecting" && calls.state !== "connected") {
      history.replaceState(null, "", location.pathname + location.hash); // a reload does not answer again
      calls.answer(answering);
    }
  },
  reset(frame) {
    if (frame.room_id === roomId) resetHistory();
  },
  message(frame) {
    if (frame.room_id !== roomId) return;
    const follow = timeline.nearBottom();
    if (timeline.add(frame) && follow) timeline.scrollToBottom();
    if (frame.sender) stoppedTyping(frame.sender.id);
    markRead();
    seen.render();
  },
  ack(frame) {
    if (frame.room_id !== roomId) return;
    timeline.ack(frame);
    seen.render();
  },
  read(frame) {
    if (frame.room_id === roomId) seen.read(frame.member_id, frame.seq);
  },
  command_done(frame) {
    // a slash command that stored no message of ours (/topic, /invite, /kick, a custom one)
    const waiting = timeline.pending.get(frame.client_msg_id);
    if (!waiting) return;
    waiting.li.remove();
    timeline.pending.delete(frame.client_msg_id);
  },
  message_update(frame) {
    if (frame.room_id !== roomId) return;
    timeline.update(frame);
    seen.render();
    if (frame.change === "pin" || frame.change === "unpin" || frame.change === "delete") pins.changed();
    if (frame.change === "delete" && frame.message?.id === chips.replyTo?.id) chips.setReply(null);
  },
  error(frame) {
    if (frame.ref && timeline.pending.has(frame.ref)) {
      timeline.markFailed(frame.ref, errorText(frame.code), transmit);
    } else if ((frame.code === "not_a_member" || frame.code === "room_not_found") && frame.ref === roomId) {
      loseRoom(t("removed"));
    }
  },
  typing(frame) {
    if (frame.room_id === roomId && frame.member_id !== data.me.id) someoneTyping(frame.member_id);
  },
  call(frame) {
    calls.handle(frame);
  },
  presence(frame) {
    members.setOnline(frame.member_id, frame.status === "online");
  },
  member(frame) {
    if (frame.room_id !== roomId) return;
    const gone = ["leave", "kick", "ban"].includes(frame.event);
    if (frame.member.id === data.me.id && gone) loseRoom(t("removed"));
    else {
      if (frame.member.id === data.me.id && frame.member.role) data.role = frame.member.role;
      members.reloadSoon();
    }
  },
  room(frame) {
    if (frame.room.id !== roomId) return;
    if (frame.event === "delete") {
      loseRoom(t("room_deleted"));
      return;
    }
    if (data.room.kind !== "direct") $("room-name").textContent = frame.room.name; // a DM keeps the peer's name
    $("room-topic").textContent = frame.room.topic;
    $("room-topic").hidden = !frame.room.topic;
  },
};

function handleFrame(frame) {
  handlers[frame.type]?.(frame);
}

// -- wiring --------------------------------------------------------------------------------

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
input.addEventListener("keydown", (event) => {
  if (commands.keydown(event) || mentions.keydown(event)) return; // a list took the key
  if (event.key === "ArrowUp" && !input.value && !event.isComposing && !event.altKey) {
    const last = timeline.lastOwn();
    if (last && last.kind !== "system") {
      event.preventDefault(); // ↑ in an empty composer edits my last message
      actions.startEdit(last, input);
    }
    return;
  }
  if (event.key === "Escape" && chips.replyTo) {
    chips.setReply(null);
    return;
  }
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault(); // Enter sends; Shift+Enter (and IME composition) keep typing
    submit();
  }
});
input.addEventListener("input", sendTyping);
$("emoji-button").addEventListener("click", (event) => {
  picker.open(event.currentTarget, (emoji) => {
    const at = input.selectionStart ?? input.value.length;
    input.setRangeText(emoji, at, input.selectionEnd ?? at, "end");
    input.focus();
  });
});
olderButton.addEventListener("click", loadOlder);
// the composer grows (reply chip, attachment, a longer text): a reader at the bottom stays there
let atBottom = true;
$("timeline-scroll").addEventListener("scroll", () => {
  atBottom = timeline.nearBottom();
}, { passive: true });
new ResizeObserver(() => {
  if (atBottom) timeline.scrollToBottom();
}).observe($("timeline-scroll"));
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadOlder();
}, { root: $("timeline-scroll") }).observe(olderButton);
document.addEventListener("visibilitychange", markRead);
addEventListener("pagehide", () => {
  if (document.visibilityState === "visible") sendRead(); // leaving: do not wait for the timer
});
initInvites(roomId, $("invite-form"));
initRoomAdmin(roomId, members); // owners and room admins only (_room_admin.html)
initRoomNotify(roomId); // my notification level here (_room_notify.html)
if (matchMedia("(max-width: 47.99rem)").matches) $("people").open = false;

async function start() {
  const loadingMembers = members.load().catch(() => {});
  try {
    await loadingMembers; // whispers name their target: know the names first
    await loadLatest();
  } catch {
    /* subscribing replays what the page missed */
  }
  const divider = timeline.markUnread(data.last_read_seq);
  if (divider) divider.scrollIntoView({ block: "center" });
  else timeline.scrollToBottom();
  seen.render();
  startSocket();
  input.focus();
  const linked = location.hash.match(/^#msg-(\d{1,19})$/);
  if (linked) jumper.jump(Number(linked[1])); // a copied link: show that message
}

addEventListener("hashchange", () => {
  const linked = location.hash.match(/^#msg-(\d{1,19})$/);
  if (linked) jumper.jump(Number(linked[1]));
});

start();
