// Runs on every page: local times and password meters. Pages with more to do load their own
// module next to this one (the room page: room.js).
import { formatTime } from "./page-data.js";
import { initStrengthMeters } from "./strength.js";

for (const node of document.querySelectorAll("time[datetime]")) {
  const text = formatTime(node.dateTime);
  if (text) node.textContent = text;
}
initStrengthMeters(document);
