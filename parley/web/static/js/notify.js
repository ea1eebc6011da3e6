// Browser notifications (the Notification API) while the tab is hidden: direct messages,
// mentions, and every message of rooms set to `notify: all`, honouring `muted_until`.
// Permission is asked only when the member presses the shell's button, never on page load.
import { data, t } from "./page-data.js";

const supported = "Notification" in window;

/** The room's level: its setting when the listing carries one, else a team chat's defaults. */
export function levelOf(room) {
  if (room.muted_until && Date.parse(room.muted_until) > Date.now()) return "none";
  return room.notify ?? (room.kind === "direct" ? "all" : "mentions");
}

export function mentionsMe(message) {
  return Boolean(message.mentions_room) || (message.mentions ?? []).includes(data.me.id);
}

/** A message's text for a notification: mention tokens as names, at most 140 characters. */
function preview(message) {
  const body = String(message.body ?? "")
    .replace(/<@room>/g, "@room")
    .replace(/<@(\d+)>/g, (whole, id) => (Number(id) === data.me.id ? `@${data.me.nickname}` : "@…"));
  return body.length > 140 ? `${body.slice(0, 139)}…` : body;
}

function show(title, options, href) {
  if (!supported || Notification.permission !== "granted") return null;
  try {
    const note = new Notification(title, { lang: data.lang, ...options });
    note.addEventListener("click", () => {
      window.focus();
      note.close();
      if (href && location.pathname !== href) location.href = href;
    });
    return note;
  } catch {
    return null; // e.g. a browser that wants a service worker for notifications
  }
}

/** Tell about a message of `room` (called for messages of others the page is not showing). */
export function notifyMessage(room, message) {
  if (document.visibilityState === "visible") return;
  const level = levelOf(room);
  if (level === "none" || (level === "mentions" && !mentionsMe(message))) return;
  const sender = message.sender?.nickname ?? t("someone");
  const title = room.kind === "direct" ? sender : `${sender} · ${room.title}`;
  show(title, { body: preview(message), tag: `room-${room.id}` }, `/rooms/${room.id}`);
}

/** Tell about an incoming call (the ringing banner shows it on the page too). */
export function notifyCall(text, href) {
  if (document.visibilityState === "visible") return null;
  return show(t("shell_call_title"), { body: text, tag: "call", requireInteraction: true }, href);
}

/** The shell's "turn on notifications" button: shown while the browser has not been asked. */
export function initPermissionButton(button, status) {
  if (!supported || !button) return;
  button.hidden = Notification.permission !== "default";
  button.addEventListener("click", async () => {
    const answer = await Notification.requestPermission();
    button.hidden = answer !== "default";
    status(answer === "granted" ? t("shell_notify_on") : t("shell_notify_denied"));
  });
}
