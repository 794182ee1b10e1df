//! `autowork models`: the catalog automations pick their model from.

use autowork_core::catalog::CatalogModel;
use autowork_core::Engine;

use crate::output::{emit_either, Outcome, Table};

pub fn run(engine: &Engine, json: bool) -> Outcome {
    emit_either(json, &engine.catalog().models(), |models| table(models))
}

fn table(models: &[CatalogModel]) -> String {
    let mut table = Table::new(&["MODEL", "NAME", "VARIANTS", "IN $/MTOK", "OUT $/MTOK"]);
    for m in models {
        let variants: Vec<&str> = m.variants.iter().map(|v| v.as_str()).collect();
        table.row(vec![
            format!("{}/{}", m.provider_id, m.model_id),
            m.display_name.clone().unwrap_or_else(|| "-".into()),
            if variants.is_empty() {
                "-".into()
            } else {
                variants.join(",")
            },
            format!("{:.2}", m.input_usd_per_mtok),
            format!("{:.2}", m.output_usd_per_mtok),
        ]);
    }
    table.render()
}
