import type { ReactNode } from "react";
import type { ValidationDetail } from "../api";
import { detailText } from "../messages";

/** A labelled control with the backend's messages for it underneath. */
export function Field({
  label,
  htmlFor,
  errors = [],
  help,
  children,
}: {
  label: string;
  htmlFor: string;
  errors?: readonly ValidationDetail[];
  help?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className={errors.length ? "field field-invalid" : "field"}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {help && !errors.length && <div className="help">{help}</div>}
      <FieldErrors id={`${htmlFor}-error`} errors={errors} />
    </div>
  );
}

export function FieldErrors({ id, errors }: { id?: string; errors: readonly ValidationDetail[] }) {
  if (!errors.length) return null;
  return (
    <div className="field-error" id={id} role="alert">
      {errors.map((d, i) => (
        <div key={i} data-field={d.field}>
          {detailText(d)}
        </div>
      ))}
    </div>
  );
}
