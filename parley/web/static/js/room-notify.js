// The room's notification level for me: all / mentions / nothing, and a mute for a while.
// Read from and written to PUT /api/v1/me/rooms/{id}/settings; the app shell hears of a change
// (a `parley:notify` event) so its desktop notifications follow it at once.
import { api } from "./api.js";
import { errorText, formatTime, t } from "./page-data.js";

const $ = (id) => document.getElementById(id);

function describe(settings) {
  const muted = settings.muted_until && Date.parse(settings.muted_until) > Date.now();
  if (muted) return t("notify_muted_until", { time: formatTime(settings.muted_until) });
  return t(`notify_now_${settings.notify}`);
}

export function initRoomNotify(roomId) {
  const form = $("room-notify-form");
  if (!form) return;
  const mute = $("room-notify-mute");
  const status = $("room-notify-status");
  const now = $("room-notify-now");
  const url = `/api/v1/me/rooms/${roomId}/settings`;
  let current = null;

  function show(settings) {
    current = settings;
    for (const input of form.elements.notify) input.checked = input.value === settings.notify;
    const muted = settings.muted_until && Date.parse(settings.muted_until) > Date.now();
    if (!muted) mute.value = "";
    now.textContent = `· ${describe(settings)}`;
    dispatchEvent(new CustomEvent("parley:notify", { detail: { room_id: roomId, ...settings } }));
  }

  async function save(body) {
    status.textContent = t("notify_saving");
    try {
      show(await api("PUT", url, body));
      status.textContent = t("notify_saved");
    } catch (error) {
      status.textContent = errorText(error.code);
      if (current) show(current);
    }
  }

  function chosen() {
    const level = [...form.elements.notify].find((input) => input.checked)?.value;
    return level ?? current?.notify ?? "mentions";
  }

  form.addEventListener("change", (event) => {
    if (!current) return;
    if (event.target === mute) {
      const seconds = Number(mute.value);
      const until = seconds ? new Date(Date.now() + seconds * 1000).toISOString() : null;
      save({ notify: chosen(), muted_until: until });
    } else {
      // a new level keeps a mute in force
      const muted = current.muted_until && Date.parse(current.muted_until) > Date.now();
      save({ notify: chosen(), muted_until: muted ? current.muted_until : null });
    }
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  api("GET", url).then(show, (error) => {
    status.textContent = errorText(error.code);
  });
}
