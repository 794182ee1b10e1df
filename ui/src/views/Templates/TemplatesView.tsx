import { navigate } from "../../routing";
import { TEMPLATES } from "./templates";

export function TemplatesView() {
  return (
    <section className="view">
      <header className="view-header">
        <h1>Templates</h1>
      </header>
      <p className="muted">Starting points: pick one, choose its work directory and model, adjust, save.</p>
      <ul className="cards">
        {TEMPLATES.map((t) => (
          <li key={t.id} className="card">
            <h2>{t.title}</h2>
            <p>{t.summary}</p>
            <button
              type="button"
              className="primary"
              data-testid={`template-${t.id}`}
              aria-label={`Use template: ${t.title}`}
              onClick={() => navigate({ view: "new", template: t.id })}
            >
              Use this template
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
