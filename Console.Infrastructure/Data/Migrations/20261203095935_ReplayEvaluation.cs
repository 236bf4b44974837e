using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class ReplayEvaluation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "replay_rubrics",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    text = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_replay_rubrics", x => x.tenant_id);
                    table.ForeignKey(
                        name: "fk_replay_rubrics_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "replay_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    draft_version = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    judge = table.Column<bool>(type: "boolean", nullable: false),
                    rubric = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    conversation_count = table.Column<int>(type: "integer", nullable: false),
                    total_turns = table.Column<int>(type: "integer", nullable: false),
                    done_turns = table.Column<int>(type: "integer", nullable: false),
                    better = table.Column<int>(type: "integer", nullable: false),
                    same = table.Column<int>(type: "integer", nullable: false),
                    worse = table.Column<int>(type: "integer", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost = table.Column<decimal>(type: "numeric(14,6)", precision: 14, scale: 6, nullable: false),
                    created_by = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    lease_id = table.Column<Guid>(type: "uuid", nullable: true),
                    lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_replay_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_replay_runs_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "replay_turns",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    contact_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    channel = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    customer_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    customer_text = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    live_reply = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true),
                    draft_reply = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true),
                    tool_calls = table.Column<string>(type: "jsonb", nullable: false),
                    model = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    offline = table.Column<bool>(type: "boolean", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost = table.Column<decimal>(type: "numeric(14,6)", precision: 14, scale: 6, nullable: false),
                    verdict = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    verdict_why = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true),
                    error = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true),
                    done_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_replay_turns", x => x.id);
                    table.ForeignKey(
                        name: "fk_replay_turns_conversations_conversation_id",
                        column: x => x.conversation_id,
                        principalTable: "conversations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_replay_turns_replay_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "replay_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_replay_runs_tenant_id_created_at",
                table: "replay_runs",
                columns: new[] { "tenant_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_replay_turns_conversation_id",
                table: "replay_turns",
                column: "conversation_id");

            migrationBuilder.CreateIndex(
                name: "ix_replay_turns_run_id",
                table: "replay_turns",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_replay_turns_tenant_id_run_id_position",
                table: "replay_turns",
                columns: new[] { "tenant_id", "run_id", "position" },
                unique: true);

            // Replays quote customers and the owner's rubric: tenant-owned like the conversations they come from.
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "replay_runs");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "replay_turns");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "replay_rubrics");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "replay_rubrics");

            migrationBuilder.DropTable(
                name: "replay_turns");

            migrationBuilder.DropTable(
                name: "replay_runs");
        }
    }
}
