import { useEffect, useState, type ComponentType, type ReactNode } from "react";

/**
 * A component whose code loads on first use (a separate chunk: chart.js, the markdown and
 * ANSI renderers stay out of the start-up bundle and out of memory until a view needs them).
 *
 * Unlike `React.lazy`, once the chunk is loaded the component renders in the same pass, with
 * no Suspense boundary (whose fallback React holds for a while before it reveals what
 * loaded): the second visit to a view is as fast as if the code had been there all along.
 * Until then `fallback` is shown.
 */
export function lazily<P extends object>(
  load: () => Promise<ComponentType<P>>,
  fallback: ReactNode = null,
): { Component: ComponentType<P>; preload: () => Promise<ComponentType<P>> } {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<ComponentType<P>> | null = null;
  const preload = () =>
    (loading ??= load().then(
      (component) => (loaded = component),
      (error: unknown) => {
        // Tried again on the next use (a chunk fails to load only if the app was replaced).
        loading = null;
        throw error;
      },
    ));

  function Lazy(props: P) {
    const [, setReady] = useState(loaded !== null);
    const [error, setError] = useState<unknown>(null);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      preload().then(
        () => live && setReady(true),
        (e: unknown) => live && setError(e),
      );
      return () => {
        live = false;
      };
    }, []);
    // Thrown in render: the view's error boundary shows it.
    if (error) throw error;
    const Loaded = loaded;
    return Loaded ? <Loaded {...props} /> : <>{fallback}</>;
  }
  return { Component: Lazy, preload };
}
