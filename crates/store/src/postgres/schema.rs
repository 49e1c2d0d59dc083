//! Brings a PostgreSQL schema (`search_path`) to the newest version of `crate::schema`,
//! recorded in the `schema_version` table. Applied under an advisory lock so that nodes
//! starting together migrate once, in order.

use crate::schema::{migrations, POSTGRES};
use crate::{DbError, Result};
use deadpool_postgres::Object;
use tokio_postgres::error::SqlState;

/// Brings the current schema to the newest version.
pub(super) async fn migrate(client: &mut Object) -> Result<()> {
    // One lock per schema, so test runs in separate schemas do not wait on each other.
    let lock = "SELECT pg_advisory_lock(hashtext('timber-migrate:' || current_schema()))";
    match client.execute(lock, &[]).await {
        Ok(_) => {}
        // Engines without advisory locks (CockroachDB): migrate unlocked; the README asks to
        // run `timber migrate` once before starting several nodes there.
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_FUNCTION) => {
            tracing::warn!("no advisory locks on this database: migrating without one");
            return apply(client).await;
        }
        Err(e) => return Err(DbError::from(e).into()),
    }
    let result = apply(client).await;
    let unlock = "SELECT pg_advisory_unlock(hashtext('timber-migrate:' || current_schema()))";
    let unlocked = client.execute(unlock, &[]).await;
    result?;
    unlocked.map_err(DbError::from)?;
    Ok(())
}

/// Whether the current schema has a table of this name.
async fn has_table(client: &Object, name: &str) -> Result<bool> {
    let row = client
        .query_opt(
            "SELECT 1 FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = $1",
            &[&name],
        )
        .await
        .map_err(DbError::from)?;
    Ok(row.is_some())
}

/// The version of the schema. Before the two databases shared one list of migrations,
/// PostgreSQL counted its own in `timber_schema`, and its first held what are now the first
/// two: its version 1 is version 2 now, its 2 is 3. That count is moved over once.
async fn current_version(client: &mut Object) -> Result<usize> {
    if !has_table(client, "schema_version").await? {
        let legacy: i64 = if has_table(client, "timber_schema").await? {
            client
                .query_opt("SELECT version FROM timber_schema", &[])
                .await
                .map_err(DbError::from)?
                .map_or(0, |r| r.get(0))
        } else {
            0
        };
        let version = if legacy == 0 { 0 } else { legacy + 1 };
        let t = client.transaction().await.map_err(DbError::from)?;
        t.batch_execute(
            "CREATE TABLE schema_version (version BIGINT NOT NULL);
             DROP TABLE IF EXISTS timber_schema;",
        )
        .await
        .map_err(DbError::from)?;
        t.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(DbError::from)?;
        t.commit().await.map_err(DbError::from)?;
    }
    let version: i64 = client
        .query_one("SELECT version FROM schema_version", &[])
        .await
        .map_err(DbError::from)?
        .get(0);
    Ok(version.max(0) as usize)
}

async fn apply(client: &mut Object) -> Result<()> {
    let all = migrations(&POSTGRES);
    let current = current_version(client).await?;
    if current > all.len() {
        return Err(DbError::internal(format!(
            "the database schema (version {current}) is newer than this timber (version {})",
            all.len()
        ))
        .into());
    }
    for (i, sql) in all.iter().enumerate().skip(current) {
        let t = client.transaction().await.map_err(DbError::from)?;
        t.batch_execute(sql).await.map_err(DbError::from)?;
        t.execute("UPDATE schema_version SET version = $1", &[&(i as i64 + 1)])
            .await
            .map_err(DbError::from)?;
        t.commit().await.map_err(DbError::from)?;
    }
    Ok(())
}
