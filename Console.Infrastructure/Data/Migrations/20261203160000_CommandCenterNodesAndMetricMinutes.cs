using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <summary>
    /// The command center's platform tables, read and written with SQL only (not part of the EF model): every app
    /// instance's heartbeat (<c>cluster_nodes</c>) and every node's figures per minute (<c>metric_minutes</c>), which
    /// the dashboard sums over the cluster. Only the platform context may read or write them.
    /// </summary>
    [DbContext(typeof(AppDbContext))]
    [Migration("20261203160000_CommandCenterNodesAndMetricMinutes")]
    public partial class CommandCenterNodesAndMetricMinutes : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE cluster_nodes (
                    node_id text PRIMARY KEY,
                    host text NOT NULL,
                    version text NOT NULL,
                    started_at timestamptz NOT NULL,
                    heartbeat_at timestamptz NOT NULL,
                    circuits integer NOT NULL,
                    cpu_percent double precision NOT NULL,
                    working_set_bytes bigint NOT NULL
                );
                CREATE TABLE metric_minutes (
                    minute timestamptz NOT NULL,
                    node_id text NOT NULL,
                    name text NOT NULL,
                    tags text NOT NULL,
                    value double precision NOT NULL,
                    sum double precision NOT NULL,
                    buckets double precision[],
                    PRIMARY KEY (minute, node_id, name, tags)
                );
                -- The webhook.ingest span of a delivery (W3C traceparent), when traces are recorded: processing links to it.
                ALTER TABLE webhook_deliveries ADD COLUMN trace_parent text;
                """);
            RowLevelSecurity.EnablePlatformTable(migrationBuilder, "cluster_nodes");
            RowLevelSecurity.EnablePlatformTable(migrationBuilder, "metric_minutes");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE webhook_deliveries DROP COLUMN trace_parent; DROP TABLE metric_minutes; DROP TABLE cluster_nodes;");
        }
    }
}
