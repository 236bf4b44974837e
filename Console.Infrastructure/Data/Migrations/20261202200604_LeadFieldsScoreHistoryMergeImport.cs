using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class LeadFieldsScoreHistoryMergeImport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "default_region",
                table: "tenants",
                type: "character varying(2)",
                maxLength: 2,
                nullable: false,
                defaultValue: "MX");

            migrationBuilder.CreateTable(
                name: "contact_imports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    file_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    status = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    duplicates = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    region = table.Column<string>(type: "character varying(2)", maxLength: 2, nullable: false),
                    total = table.Column<int>(type: "integer", nullable: false),
                    processed = table.Column<int>(type: "integer", nullable: false),
                    created = table.Column<int>(type: "integer", nullable: false),
                    updated = table.Column<int>(type: "integer", nullable: false),
                    skipped = table.Column<int>(type: "integer", nullable: false),
                    failed = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    created_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    mapping = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_contact_imports", x => x.id);
                    table.ForeignKey(
                        name: "fk_contact_imports_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "contact_merges",
                columns: table => new
                {
                    merged_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    survivor_id = table.Column<Guid>(type: "uuid", nullable: false),
                    merged_name = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: true),
                    merged_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    merged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_contact_merges", x => x.merged_id);
                    table.ForeignKey(
                        name: "fk_contact_merges_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "custom_field_definitions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    label = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    type = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    choices = table.Column<List<string>>(type: "text[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_custom_field_definitions", x => x.id);
                    table.ForeignKey(
                        name: "fk_custom_field_definitions_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "lead_score_changes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    from_score = table.Column<int>(type: "integer", nullable: false),
                    to_score = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_lead_score_changes", x => x.id);
                    table.ForeignKey(
                        name: "fk_lead_score_changes_contacts_contact_id",
                        column: x => x.contact_id,
                        principalTable: "contacts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_lead_score_changes_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "contact_import_errors",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    import_id = table.Column<Guid>(type: "uuid", nullable: false),
                    row = table.Column<int>(type: "integer", nullable: false),
                    code = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    args = table.Column<string[]>(type: "text[]", nullable: false),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    raw = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_contact_import_errors", x => new { x.tenant_id, x.import_id, x.row });
                    table.ForeignKey(
                        name: "fk_contact_import_errors_contact_imports_import_id",
                        column: x => x.import_id,
                        principalTable: "contact_imports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "contact_import_files",
                columns: table => new
                {
                    import_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    content = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_contact_import_files", x => x.import_id);
                    table.ForeignKey(
                        name: "fk_contact_import_files_contact_imports_import_id",
                        column: x => x.import_id,
                        principalTable: "contact_imports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_email",
                table: "contacts",
                columns: new[] { "tenant_id", "email" });

            migrationBuilder.CreateIndex(
                name: "ix_contact_import_errors_import_id",
                table: "contact_import_errors",
                column: "import_id");

            migrationBuilder.CreateIndex(
                name: "ix_contact_import_files_tenant_id",
                table: "contact_import_files",
                column: "tenant_id");

            migrationBuilder.CreateIndex(
                name: "ix_contact_imports_lease_until",
                table: "contact_imports",
                column: "lease_until",
                filter: "status = 'Running'");

            migrationBuilder.CreateIndex(
                name: "ix_contact_imports_tenant_id_created_at",
                table: "contact_imports",
                columns: new[] { "tenant_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_contact_merges_tenant_id_survivor_id",
                table: "contact_merges",
                columns: new[] { "tenant_id", "survivor_id" });

            migrationBuilder.CreateIndex(
                name: "ix_custom_field_definitions_tenant_id_key",
                table: "custom_field_definitions",
                columns: new[] { "tenant_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_lead_score_changes_contact_id",
                table: "lead_score_changes",
                column: "contact_id");

            migrationBuilder.CreateIndex(
                name: "ix_lead_score_changes_tenant_id_contact_id_at",
                table: "lead_score_changes",
                columns: new[] { "tenant_id", "contact_id", "at" });

            foreach (var table in new[] { "custom_field_definitions", "lead_score_changes", "contact_merges", "contact_imports",
                         "contact_import_errors", "contact_import_files" })
                RowLevelSecurity.EnableTenantTable(migrationBuilder, table);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "contact_import_errors");

            migrationBuilder.DropTable(
                name: "contact_import_files");

            migrationBuilder.DropTable(
                name: "contact_merges");

            migrationBuilder.DropTable(
                name: "custom_field_definitions");

            migrationBuilder.DropTable(
                name: "lead_score_changes");

            migrationBuilder.DropTable(
                name: "contact_imports");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_email",
                table: "contacts");

            migrationBuilder.DropColumn(
                name: "default_region",
                table: "tenants");
        }
    }
}
