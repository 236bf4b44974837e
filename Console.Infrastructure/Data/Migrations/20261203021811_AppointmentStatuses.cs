using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class AppointmentStatuses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "status_changed_at",
                table: "appointments",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "status_changed_by",
                table: "appointments",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            // "Booked" becomes "Pending" (booked, not yet confirmed by the customer); confirmed ones hold their slot too.
            migrationBuilder.Sql("""
                ALTER TABLE appointments DROP CONSTRAINT ex_appointments_no_overlap;
                UPDATE appointments SET status = 'Pending' WHERE status = 'Booked';
                ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap
                EXCLUDE USING gist (tenant_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status IN ('Pending', 'Confirmed'));
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE appointments DROP CONSTRAINT ex_appointments_no_overlap;
                UPDATE appointments SET status = 'Booked' WHERE status IN ('Pending', 'Confirmed');
                UPDATE appointments SET status = 'Cancelled' WHERE status NOT IN ('Booked', 'Cancelled');
                ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap
                EXCLUDE USING gist (tenant_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'Booked');
                """);
            migrationBuilder.DropColumn(
                name: "status_changed_at",
                table: "appointments");

            migrationBuilder.DropColumn(
                name: "status_changed_by",
                table: "appointments");
        }
    }
}
