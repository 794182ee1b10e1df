import { Component, type ErrorInfo, type ReactNode } from "react";

/** A view that throws shows what failed and a way back, never a blank window. */
export class ErrorBoundary extends Component<
  { children: ReactNode; onBack: () => void },
  { error: Error | null }
> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("a view failed", error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="view" role="alert" data-testid="view-failed">
        <h1>This view could not be shown</h1>
        <p>Something in it failed: {error.message || String(error)}</p>
        <button type="button" className="primary" onClick={this.props.onBack}>
          Back to automations
        </button>
      </section>
    );
  }
}
