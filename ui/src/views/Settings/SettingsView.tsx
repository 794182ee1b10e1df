import { useEffect, useState } from "react";
import * as api from "../../api";
import { errorText, type AppInfo, type AppSettings, type CatalogModel } from "../../api";
import { notices } from "../../stores/notices";
import { modelKey } from "../Editor/form";
import { DatabaseSection } from "./DatabaseSection";
import { ProvidersSection } from "./ProvidersSection";
import { QueueSection } from "./QueueSection";
import { RetentionSection } from "./RetentionSection";

export function SettingsView() {
  const [settings, setSettings] = useState<AppSettings | null>(null);
  const [models, setModels] = useState<CatalogModel[]>([]);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [autostart, setAutostart] = useState<boolean | null>(null);
  const [stepCap, setStepCap] = useState("");

  useEffect(() => {
    api.getSettings().then((s) => {
      setSettings(s);
      setStepCap(String(s.default_step_cap));
    }, (e: unknown) => notices.error("Could not load settings", e));
    api.listModels().then(setModels, () => {});
    api.appInfo().then(setInfo, () => {});
    api.getAutostart().then(setAutostart, () => {});
  }, []);

  const save = async (patch: Partial<AppSettings>) => {
    if (!settings) return;
    try {
      const saved = await api.setSettings({ ...settings, ...patch });
      setSettings(saved);
      setStepCap(String(saved.default_step_cap));
    } catch (e) {
      notices.error("Could not save settings", e);
      setStepCap(String(settings.default_step_cap));
    }
  };

  const toggleAutostart = async (enabled: boolean) => {
    try {
      setAutostart(await api.setAutostart(enabled));
    } catch (e) {
      notices.error("Could not change start at login", e);
    }
  };

  const defaultModel = settings?.default_model ? modelKey(settings.default_model) : "";
  return (
    <section className="view settings">
      <header className="view-header">
        <h1>Settings</h1>
      </header>
      <ProvidersSection />
      <QueueSection />
      <RetentionSection />
      <DatabaseSection />
      <fieldset className="section" disabled={!settings}>
        <legend>Defaults for new automations</legend>
        <div className="grid-2">
          <div className="field">
            <label htmlFor="default-model">Model</label>
            <select
              id="default-model"
              value={defaultModel}
              onChange={(e) => {
                const m = models.find((x) => modelKey(x) === e.target.value);
                void save({ default_model: m ? { provider_id: m.provider_id, model_id: m.model_id } : null });
              }}
            >
              <option value="">None</option>
              {defaultModel && !models.some((m) => modelKey(m) === defaultModel) && (
                <option value={defaultModel}>{defaultModel}</option>
              )}
              {models.map((m) => (
                <option key={modelKey(m)} value={modelKey(m)}>
                  {m.display_name ? `${m.display_name} (${m.provider_id})` : modelKey(m)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="default-step-cap">Step cap</label>
            <input
              id="default-step-cap"
              type="number"
              min={1}
              max={500}
              value={stepCap}
              onChange={(e) => setStepCap(e.target.value)}
              onBlur={() => {
                const n = Number(stepCap);
                if (Number.isInteger(n) && n !== settings?.default_step_cap) void save({ default_step_cap: n });
              }}
            />
          </div>
        </div>
      </fieldset>
      <fieldset className="section">
        <legend>Notifications and start-up</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={settings?.notifications ?? false}
            disabled={!settings}
            onChange={(e) => void save({ notifications: e.target.checked })}
          />
          Notify me when a run needs my answer, fails on its schedule, or is paused after failures
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={autostart ?? false}
            disabled={autostart === null}
            onChange={(e) => void toggleAutostart(e.target.checked)}
          />
          Start Autowork when I log in (schedules fire only while Autowork runs)
        </label>
      </fieldset>
      <fieldset className="section">
        <legend>Data and logs</legend>
        {info ? (
          <dl className="paths">
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Data</dt>
            <dd className="mono">{info.data_dir}</dd>
            <dt>Logs</dt>
            <dd className="mono">{info.log_dir}</dd>
          </dl>
        ) : (
          <p className="muted">…</p>
        )}
        <button
          type="button"
          onClick={() => api.openLogs().catch((e: unknown) => notices.show(`Could not open the logs: ${errorText(e)}`, "error"))}
        >
          Open logs
        </button>
      </fieldset>
    </section>
  );
}
