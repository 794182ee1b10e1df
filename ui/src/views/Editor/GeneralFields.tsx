import type { CatalogModel, ValidationDetail, Variant } from "../../api";
import { Field } from "../../components/Field";
import { ModelOptions, ModelSetupHint } from "../Connect/ModelChoices";
import { useProviderStatuses } from "../Connect/useProviders";
import { modelKey, type Form } from "./form";
import { WorkspaceField } from "./WorkspaceField";

type Errors = (...fields: string[]) => ValidationDetail[];

export function GeneralFields({
  form,
  update,
  errors,
  models,
}: {
  form: Form;
  update: (patch: Partial<Form>) => void;
  errors: Errors;
  models: CatalogModel[];
}) {
  const chosen = models.find((m) => modelKey(m) === form.model);
  const variants = chosen?.variants ?? [];
  const [statuses] = useProviderStatuses();
  return (
    <>
      <fieldset className="section">
        <legend>What it does</legend>
        <Field label="Title" htmlFor="field-title" errors={errors("title")}>
          <input
            id="field-title"
            data-testid="field-title"
            value={form.title}
            maxLength={400}
            aria-invalid={errors("title").length > 0}
            onChange={(e) => update({ title: e.target.value })}
          />
        </Field>
        <Field
          label="Prompt"
          htmlFor="field-prompt"
          errors={errors("prompt")}
          help="What the agent should do, as you would tell a colleague."
        >
          <textarea
            id="field-prompt"
            data-testid="field-prompt"
            rows={8}
            value={form.prompt}
            onChange={(e) => update({ prompt: e.target.value })}
          />
        </Field>
        <WorkspaceField
          value={form.workspace}
          errors={errors("workspace")}
          onChange={(workspace) => update({ workspace })}
        />
      </fieldset>
      <fieldset className="section">
        <legend>Model</legend>
        <Field
          label="Model"
          htmlFor="field-model"
          errors={errors("model", "model.provider_id", "model.model_id")}
        >
          <select
            id="field-model"
            data-testid="field-model"
            value={form.model}
            onChange={(e) => update({ model: e.target.value, variant: "" })}
          >
            <option value="">Choose a model…</option>
            {form.model && !chosen && <option value={form.model}>{form.model} (not in the catalog)</option>}
            <ModelOptions models={models} statuses={statuses} />
          </select>
          <ModelSetupHint providerId={chosen?.provider_id} statuses={statuses} />
        </Field>
        {(variants.length > 0 || form.variant) && (
          <Field label="Reasoning effort" htmlFor="field-variant" errors={errors("variant")}>
            <select
              id="field-variant"
              value={form.variant}
              onChange={(e) => update({ variant: e.target.value as Variant | "" })}
            >
              <option value="">Model default</option>
              {variants.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
        )}
      </fieldset>
    </>
  );
}
