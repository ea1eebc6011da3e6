// Web Push on this device: register the service worker, subscribe with the server's VAPID
// key and hand the subscription to the server (POST /api/v1/me/push-subscriptions).
import { api } from "./api.js";

const SUB_ID = "parley-push-subscription-id";

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export async function registerWorker() {
  return navigator.serviceWorker.register("/sw.js", { scope: "/" });
}

// "unsupported" | "denied" | "on" | "off"
export async function pushState() {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  return subscription && localStorage.getItem(SUB_ID) ? "on" : "off";
}

export async function enablePush() {
  if (!pushSupported()) throw new Error("unsupported");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return pushState();
  const registration = await registerWorker();
  await navigator.serviceWorker.ready;
  const { public_key: publicKey } = await api("GET", "/api/v1/push/vapid-key");
  let subscription = await registration.pushManager.getSubscription();
  if (subscription) await subscription.unsubscribe(); // perhaps made for an older key
  subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(publicKey),
  });
  const { endpoint, keys } = subscription.toJSON();
  const { id } = await api("POST", "/api/v1/me/push-subscriptions", { endpoint, keys });
  localStorage.setItem(SUB_ID, String(id));
  return "on";
}

export async function disablePush() {
  const id = localStorage.getItem(SUB_ID);
  localStorage.removeItem(SUB_ID);
  if (id) {
    try {
      await api("DELETE", `/api/v1/me/push-subscriptions/${encodeURIComponent(id)}`);
    } catch {
      /* already gone on the server */
    }
  }
  const registration = await navigator.serviceWorker?.getRegistration("/");
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  if (subscription) await subscription.unsubscribe();
  return pushState();
}
