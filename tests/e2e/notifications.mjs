// A stand-in for the desktop's notification daemon on the test's session bus: it owns
// org.freedesktop.Notifications, records every Notify call, and can "click" an action by
// emitting ActionInvoked, as a real daemon does when the user clicks.

import dbus from "dbus-next";

const { Interface, ACCESS_READ } = dbus.interface;

class Daemon extends Interface {
  constructor() {
    super("org.freedesktop.Notifications");
    this.received = [];
    this.nextId = 1;
  }

  Notify(appName, replacesId, icon, summary, body, actions, _hints, _timeout) {
    const id = replacesId || this.nextId++;
    this.received.push({ id, appName, summary, body, actions });
    return id;
  }

  GetCapabilities() {
    return ["actions", "body"];
  }

  GetServerInformation() {
    return ["autowork-e2e", "autowork", "1.0", "1.2"];
  }

  CloseNotification(id) {
    this.NotificationClosed(id, 3);
  }

  ActionInvoked(id, key) {
    return [id, key];
  }

  NotificationClosed(id, reason) {
    return [id, reason];
  }
}

Daemon.configureMembers({
  methods: {
    Notify: { inSignature: "susssasa{sv}i", outSignature: "u" },
    GetCapabilities: { inSignature: "", outSignature: "as" },
    GetServerInformation: { inSignature: "", outSignature: "ssss" },
    CloseNotification: { inSignature: "u", outSignature: "" },
  },
  signals: {
    ActionInvoked: { signature: "us" },
    NotificationClosed: { signature: "uu" },
  },
});
void ACCESS_READ;

/** Starts the stand-in daemon; returns it and a way to stop it. */
export async function startNotificationDaemon() {
  const bus = dbus.sessionBus();
  const daemon = new Daemon();
  bus.export("/org/freedesktop/Notifications", daemon);
  const reply = await bus.requestName("org.freedesktop.Notifications", dbus.NameFlag.DO_NOT_QUEUE);
  if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) {
    throw new Error("another notification daemon owns the name");
  }
  return {
    daemon,
    /** Clicks `key` on notification `id`. */
    click(id, key) {
      daemon.ActionInvoked(id, key);
    },
    stop() {
      bus.disconnect();
    },
  };
}
