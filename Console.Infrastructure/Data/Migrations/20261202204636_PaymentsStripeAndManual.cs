using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class PaymentsStripeAndManual : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "image_url",
                table: "products",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "checkout_url",
                table: "payment_links",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "paid_at",
                table: "payment_links",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "provider",
                table: "payment_links",
                type: "character varying(10)",
                maxLength: 10,
                nullable: false,
                defaultValue: "Manual");

            migrationBuilder.AddColumn<string>(
                name: "provider_reference",
                table: "payment_links",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "quantity",
                table: "payment_links",
                type: "integer",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "updated_at",
                table: "payment_links",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<Guid>(
                name: "voucher_message_id",
                table: "payment_links",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "payment_settings",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    protected_stripe_secret_key = table.Column<string>(type: "text", nullable: true),
                    protected_stripe_webhook_secret = table.Column<string>(type: "text", nullable: true),
                    stripe_account_id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    stripe_account_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    stripe_connected_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    bank_instructions = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    allow_custom_amount = table.Column<bool>(type: "boolean", nullable: false),
                    max_custom_amount = table.Column<decimal>(type: "numeric(12,2)", precision: 12, scale: 2, nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_payment_settings", x => x.tenant_id);
                    table.ForeignKey(
                        name: "fk_payment_settings_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "stripe_events",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    event_id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stripe_events", x => new { x.tenant_id, x.event_id });
                    table.ForeignKey(
                        name: "fk_stripe_events_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_payment_links_tenant_id_created_at",
                table: "payment_links",
                columns: new[] { "tenant_id", "created_at" });

            // Links made before payments had providers keep their rows: open ones are pending manual payments, cancelled
            // ones count as failed, and their last change is their creation.
            migrationBuilder.Sql("""
                UPDATE payment_links SET status = 'Pending' WHERE status = 'Open';
                UPDATE payment_links SET status = 'Failed' WHERE status = 'Cancelled';
                UPDATE payment_links SET updated_at = created_at;
                """);

            RowLevelSecurity.EnableTenantTable(migrationBuilder, "payment_settings");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "stripe_events");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "payment_settings");

            migrationBuilder.DropTable(
                name: "stripe_events");

            migrationBuilder.DropIndex(
                name: "ix_payment_links_tenant_id_created_at",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "image_url",
                table: "products");

            migrationBuilder.DropColumn(
                name: "checkout_url",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "paid_at",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "provider",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "provider_reference",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "quantity",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "updated_at",
                table: "payment_links");

            migrationBuilder.DropColumn(
                name: "voucher_message_id",
                table: "payment_links");
        }
    }
}
