// The panel's "Message history" section (owner only): how long the room keeps messages,
// through PUT /api/v1/rooms/{id}/retention — the server's default, forever, or N days.
import { api } from "./api.js";
import { t } from "./page-data.js";
import { problemText, say } from "./room-admin.js";

const $ = (id) => document.getElementById(id);

export function initRetention(roomId) {
  const form = $("ra-retention");
  if (!form) return;
  const mode = $("ra-retention-mode");
  const days = $("ra-retention-days");
  const daysField = $("ra-retention-days-field");
  mode.addEventListener("change", () => {
    daysField.hidden = mode.value !== "days";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body = { days: null };
    if (mode.value === "forever") body = { days: 0 };
    if (mode.value === "days") {
      const value = Number.parseInt(days.value, 10);
      if (!Number.isInteger(value) || value < Number(days.min) || value > Number(days.max)) {
        say(form, t("ra_number_range", { min: days.min, max: days.max }), true);
        days.focus();
        return;
      }
      body = { days: value };
    }
    say(form, t("ra_saving"));
    try {
      const room = await api("PUT", `/api/v1/rooms/${roomId}/retention`, body);
      const own = room.retention_days;
      mode.value = own === null ? "default" : own === 0 ? "forever" : "days";
      if (own) days.value = String(own);
      daysField.hidden = mode.value !== "days";
      say(form, t("ra_retention_saved"));
    } catch (error) {
      say(form, problemText(error), true);
    }
  });
}
