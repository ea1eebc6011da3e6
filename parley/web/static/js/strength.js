// The password strength meter of the sign-up and account pages. Advisory only: the rules
// that count (8 to 128 characters) are the server's.
import { t } from "./page-data.js";

const COMMON = /^(password|passw0rd|qwerty|letmein|iloveyou|admin|welcome|123456|abc123)/i;

/** 0 (too short) to 4 (strong), from length and the kinds of characters used. */
export function strength(password) {
  if (password.length < 8) return 0;
  if (COMMON.test(password) || /^(.)\1*$/.test(password)) return 1;
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  let score = 1;
  if (kinds >= 2 || password.length >= 12) score += 1;
  if (kinds >= 3 || password.length >= 16) score += 1;
  if ((kinds >= 3 && password.length >= 12) || password.length >= 20) score += 1;
  return Math.min(score, 4);
}

export function initStrengthMeters(root) {
  for (const input of root.querySelectorAll("input[data-strength]")) {
    const box = document.getElementById(input.dataset.strength);
    if (!box) continue;
    const meter = box.querySelector("meter");
    const label = box.querySelector("[id]");
    input.addEventListener("input", () => {
      box.hidden = input.value.length === 0;
      const score = strength(input.value);
      meter.value = score;
      label.textContent = t(`strength_${score}`);
    });
  }
}
