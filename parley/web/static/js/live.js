// The tab's one socket (socket.js), shared by the app shell (shell.js: badges, invites,
// friend requests, ringing) and the page (room.js). Every listener sees every frame.
// A page that shows a room claims it: it subscribes to that room itself (resuming from what
// it shows), and the shell subscribes to all the others.
import { ChatSocket } from "./socket.js";

const listeners = [];

function each(name, value) {
  for (const listener of listeners) {
    try {
      listener[name]?.(value);
    } catch (error) {
      console.warn("socket listener failed", error); // one broken listener spares the rest
    }
  }
}

export const socket = new ChatSocket({
  onFrame: (frame) => each("onFrame", frame),
  onState: (state) => each("onState", state),
  onDown: () => each("onDown"),
});

/** Rooms the page subscribes to itself. */
export const claimed = new Set();
let started = false;

/** Hear every frame (`onFrame`), state change (`onState`) and loss (`onDown`) of the socket. */
export function listen(listener) {
  listeners.push(listener);
}

/** The page subscribes to `roomId` itself: the shell leaves it alone. */
export function claim(roomId) {
  claimed.add(roomId);
}

/** Open the socket (once; later calls do nothing). */
export function start() {
  if (started) return;
  started = true;
  socket.start();
}
