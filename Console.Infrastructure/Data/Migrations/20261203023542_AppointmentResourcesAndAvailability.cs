using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class AppointmentResourcesAndAvailability : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "availability_settings",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    blocked_dates = table.Column<DateOnly[]>(type: "date[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_availability_settings", x => x.tenant_id);
                    table.ForeignKey(
                        name: "fk_availability_settings_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "bookable_resources",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    is_default = table.Column<bool>(type: "boolean", nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    weekly = table.Column<string>(type: "jsonb", nullable: true),
                    slot_minutes = table.Column<int>(type: "integer", nullable: false),
                    buffer_minutes = table.Column<int>(type: "integer", nullable: false),
                    lead_time_hours = table.Column<int>(type: "integer", nullable: false),
                    horizon_days = table.Column<int>(type: "integer", nullable: false),
                    blocked_dates = table.Column<DateOnly[]>(type: "date[]", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_bookable_resources", x => x.id);
                    table.ForeignKey(
                        name: "fk_bookable_resources_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            RowLevelSecurity.EnableTenantTable(migrationBuilder, "bookable_resources");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "availability_settings");

            // Every workspace gets its default resource (the agent's appointment length, the business hours) and every
            // existing appointment is booked with it; then the column is required and the no-overlap rule is per resource.
            // Runs as the platform: the tables force RLS.
            migrationBuilder.Sql("""
                SELECT set_config('app.platform', 'on', true);
                ALTER TABLE appointments ADD COLUMN resource_id uuid;
                INSERT INTO availability_settings (tenant_id, blocked_dates) SELECT t.id, ARRAY[]::date[] FROM tenants t;
                INSERT INTO bookable_resources (id, tenant_id, name, is_default, position, weekly, slot_minutes, buffer_minutes,
                    lead_time_hours, horizon_days, blocked_dates, created_at)
                SELECT gen_random_uuid(), t.id, 'Agenda', true, 0, NULL,
                    COALESCE((SELECT p.appointment_minutes FROM agent_profiles p WHERE p.tenant_id = t.id AND p.state = 'Live'), 30),
                    0, 0, 90, ARRAY[]::date[], now()
                FROM tenants t;
                UPDATE appointments a SET resource_id = r.id FROM bookable_resources r WHERE r.tenant_id = a.tenant_id AND r.is_default;
                ALTER TABLE appointments ALTER COLUMN resource_id SET NOT NULL;
                ALTER TABLE appointments DROP CONSTRAINT ex_appointments_no_overlap;
                ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap
                EXCLUDE USING gist (tenant_id WITH =, resource_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status IN ('Pending', 'Confirmed'));
                """);

            migrationBuilder.CreateIndex(
                name: "ix_appointments_resource_id",
                table: "appointments",
                column: "resource_id");

            migrationBuilder.CreateIndex(
                name: "ix_appointments_tenant_id_resource_id_starts_at",
                table: "appointments",
                columns: new[] { "tenant_id", "resource_id", "starts_at" });

            migrationBuilder.CreateIndex(
                name: "ix_bookable_resources_one_default",
                table: "bookable_resources",
                column: "tenant_id",
                unique: true,
                filter: "is_default");

            migrationBuilder.CreateIndex(
                name: "ix_bookable_resources_tenant_id_name",
                table: "bookable_resources",
                columns: new[] { "tenant_id", "name" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "fk_appointments_bookable_resources_resource_id",
                table: "appointments",
                column: "resource_id",
                principalTable: "bookable_resources",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_appointments_bookable_resources_resource_id",
                table: "appointments");

            // Back to one calendar per tenant: overlapping bookings of different resources cannot all stay active.
            migrationBuilder.Sql("""
                SELECT set_config('app.platform', 'on', true);
                ALTER TABLE appointments DROP CONSTRAINT ex_appointments_no_overlap;
                UPDATE appointments a SET status = 'Cancelled' WHERE a.status IN ('Pending', 'Confirmed') AND EXISTS (
                    SELECT 1 FROM appointments b WHERE b.tenant_id = a.tenant_id AND b.id < a.id AND b.status IN ('Pending', 'Confirmed')
                    AND tstzrange(b.starts_at, b.ends_at) && tstzrange(a.starts_at, a.ends_at));
                ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap
                EXCLUDE USING gist (tenant_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status IN ('Pending', 'Confirmed'));
                """);

            migrationBuilder.DropTable(
                name: "availability_settings");

            migrationBuilder.DropTable(
                name: "bookable_resources");

            migrationBuilder.DropIndex(
                name: "ix_appointments_resource_id",
                table: "appointments");

            migrationBuilder.DropIndex(
                name: "ix_appointments_tenant_id_resource_id_starts_at",
                table: "appointments");

            migrationBuilder.DropColumn(
                name: "resource_id",
                table: "appointments");
        }
    }
}
