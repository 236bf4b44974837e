using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class LeadPipelineStages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddUniqueConstraint(
                name: "ak_contacts_tenant_id_id",
                table: "contacts",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateTable(
                name: "lead_stage_changes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    from_stage_id = table.Column<Guid>(type: "uuid", nullable: true),
                    from_stage_name = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    to_stage_id = table.Column<Guid>(type: "uuid", nullable: true),
                    to_stage_name = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    changed_by = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    actor_member_id = table.Column<Guid>(type: "uuid", nullable: true),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_lead_stage_changes", x => x.id);
                    table.ForeignKey(
                        name: "fk_lead_stage_changes_contacts_tenant_id_contact_id",
                        columns: x => new { x.tenant_id, x.contact_id },
                        principalTable: "contacts",
                        principalColumns: new[] { "tenant_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_lead_stage_changes_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pipeline_stages",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    color = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    kind = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    key = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pipeline_stages", x => x.id);
                    table.UniqueConstraint("ak_pipeline_stages_tenant_id_id", x => new { x.tenant_id, x.id });
                    table.ForeignKey(
                        name: "fk_pipeline_stages_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.AddColumn<Guid>(name: "owner_member_id", table: "contacts", type: "uuid", nullable: true);
            migrationBuilder.AddColumn<string[]>(name: "tags", table: "contacts", type: "text[]", nullable: false, defaultValue: new string[0]);
            migrationBuilder.AddColumn<Guid>(name: "stage_id", table: "contacts", type: "uuid", nullable: true);

            // Every existing workspace gets the default pipeline in its language, and each contact the stage its old fixed
            // value names (by the default stage's key). The old "Proposal" has no default stage: workspaces with such leads
            // get a "Proposal" stage after "Qualified", so no lead changes place. Runs as the platform: the tables force RLS.
            migrationBuilder.Sql("""
                SELECT set_config('app.platform', 'on', true);
                INSERT INTO pipeline_stages (id, tenant_id, name, position, color, kind, key)
                SELECT gen_random_uuid(), t.id, CASE WHEN t.default_culture LIKE 'en%' THEN d.en ELSE d.es END, d.position, d.color, d.kind, d.key
                FROM tenants t CROSS JOIN (VALUES
                    ('new', 'New', 'Nuevo', 0, '#90a4ae', 'Open'),
                    ('contacted', 'Contacted', 'Contactado', 1, '#42a5f5', 'Open'),
                    ('qualified', 'Qualified', 'Calificado', 2, '#7e57c2', 'Open'),
                    ('booked', 'Appointment booked', 'Cita agendada', 3, '#ffa726', 'Open'),
                    ('won', 'Won', 'Ganado', 4, '#66bb6a', 'Won'),
                    ('lost', 'Lost', 'Perdido', 5, '#ef5350', 'Lost')) AS d(key, en, es, position, color, kind);
                UPDATE pipeline_stages s SET position = s.position + 1
                WHERE s.position >= 3 AND EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = s.tenant_id AND c.stage = 'Proposal');
                INSERT INTO pipeline_stages (id, tenant_id, name, position, color, kind, key)
                SELECT gen_random_uuid(), t.id, CASE WHEN t.default_culture LIKE 'en%' THEN 'Proposal' ELSE 'Propuesta' END, 3, '#26a69a', 'Open', 'proposal'
                FROM tenants t WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = t.id AND c.stage = 'Proposal');
                UPDATE contacts c SET stage_id = s.id FROM pipeline_stages s WHERE s.tenant_id = c.tenant_id AND s.key = lower(c.stage);
                UPDATE contacts c SET stage_id = s.id FROM pipeline_stages s
                WHERE c.stage_id IS NULL AND s.tenant_id = c.tenant_id AND s.key = 'new';
                """);
            migrationBuilder.AlterColumn<Guid>(name: "stage_id", table: "contacts", type: "uuid", nullable: false, oldClrType: typeof(Guid),
                oldType: "uuid", oldNullable: true);
            migrationBuilder.DropIndex(name: "ix_contacts_tenant_id_stage_score", table: "contacts");
            migrationBuilder.DropColumn(name: "stage", table: "contacts");

            // A contact stored without a stage (webhooks, the API, imports, SQL: none of them need to know the pipeline)
            // starts in the workspace's first open stage. BEFORE INSERT runs before the NOT NULL check, and EF reads the
            // value back (the property is store-generated).
            migrationBuilder.Sql("""
                CREATE FUNCTION contacts_default_stage() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.stage_id IS NULL THEN
                        SELECT id INTO NEW.stage_id FROM pipeline_stages
                        WHERE tenant_id = NEW.tenant_id AND kind = 'Open' ORDER BY position, name LIMIT 1;
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER contacts_default_stage BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION contacts_default_stage();
                """);

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_created_at",
                table: "contacts",
                columns: new[] { "tenant_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_owner_member_id",
                table: "contacts",
                columns: new[] { "tenant_id", "owner_member_id" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_score_id",
                table: "contacts",
                columns: new[] { "tenant_id", "score", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_stage_id_score_id",
                table: "contacts",
                columns: new[] { "tenant_id", "stage_id", "score", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_lead_stage_changes_tenant_id_contact_id_changed_at",
                table: "lead_stage_changes",
                columns: new[] { "tenant_id", "contact_id", "changed_at" });

            migrationBuilder.CreateIndex(
                name: "ix_pipeline_stages_tenant_id_position",
                table: "pipeline_stages",
                columns: new[] { "tenant_id", "position" });

            migrationBuilder.AddForeignKey(
                name: "fk_contacts_pipeline_stages_tenant_id_stage_id",
                table: "contacts",
                columns: new[] { "tenant_id", "stage_id" },
                principalTable: "pipeline_stages",
                principalColumns: new[] { "tenant_id", "id" },
                onDelete: ReferentialAction.Restrict);

            RowLevelSecurity.EnableTenantTable(migrationBuilder, "pipeline_stages");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "lead_stage_changes");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to the fixed stages: each lead by its default stage's key; a tenant's own stages become "New".
            migrationBuilder.Sql("""
                SELECT set_config('app.platform', 'on', true);
                DROP TRIGGER IF EXISTS contacts_default_stage ON contacts;
                DROP FUNCTION IF EXISTS contacts_default_stage();
                ALTER TABLE contacts ADD COLUMN stage character varying(20) NOT NULL DEFAULT 'New';
                UPDATE contacts c SET stage = CASE s.key WHEN 'contacted' THEN 'Contacted' WHEN 'qualified' THEN 'Qualified'
                    WHEN 'booked' THEN 'Proposal' WHEN 'proposal' THEN 'Proposal' WHEN 'won' THEN 'Won' WHEN 'lost' THEN 'Lost' ELSE 'New' END
                FROM pipeline_stages s WHERE s.id = c.stage_id;
                """);

            migrationBuilder.DropForeignKey(
                name: "fk_contacts_pipeline_stages_tenant_id_stage_id",
                table: "contacts");

            migrationBuilder.DropTable(
                name: "lead_stage_changes");

            migrationBuilder.DropTable(
                name: "pipeline_stages");

            migrationBuilder.DropUniqueConstraint(
                name: "ak_contacts_tenant_id_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_created_at",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_owner_member_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_score_id",
                table: "contacts");

            migrationBuilder.DropIndex(
                name: "ix_contacts_tenant_id_stage_id_score_id",
                table: "contacts");

            migrationBuilder.DropColumn(
                name: "owner_member_id",
                table: "contacts");

            migrationBuilder.DropColumn(
                name: "stage_id",
                table: "contacts");

            migrationBuilder.DropColumn(
                name: "tags",
                table: "contacts");

            migrationBuilder.CreateIndex(
                name: "ix_contacts_tenant_id_stage_score",
                table: "contacts",
                columns: new[] { "tenant_id", "stage", "score" });
        }
    }
}
