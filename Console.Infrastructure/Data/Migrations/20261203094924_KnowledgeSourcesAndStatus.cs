using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeSourcesAndStatus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "attempts",
                table: "knowledge_documents",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "enabled",
                table: "knowledge_documents",
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<string>(
                name: "failure",
                table: "knowledge_documents",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "failure_code",
                table: "knowledge_documents",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lease_until",
                table: "knowledge_documents",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "progress",
                table: "knowledge_documents",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "size_bytes",
                table: "knowledge_documents",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "source",
                table: "knowledge_documents",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Text");

            migrationBuilder.AddColumn<string>(
                name: "source_name",
                table: "knowledge_documents",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "status",
                table: "knowledge_documents",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Ready");

            migrationBuilder.CreateTable(
                name: "knowledge_files",
                columns: table => new
                {
                    document_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    content = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_files", x => x.document_id);
                    table.ForeignKey(
                        name: "fk_knowledge_files_knowledge_documents_document_id",
                        column: x => x.document_id,
                        principalTable: "knowledge_documents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_documents_processing",
                table: "knowledge_documents",
                column: "lease_until",
                filter: "status = 'Processing'");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_files_tenant_id",
                table: "knowledge_files",
                column: "tenant_id");

            // Documents so far were pasted text: ready, enabled (the defaults above), their size that of their text.
            migrationBuilder.Sql("UPDATE knowledge_documents SET size_bytes = octet_length(content), progress = 100;");
            RowLevelSecurity.EnableTenantTable(migrationBuilder, "knowledge_files");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "knowledge_files");

            migrationBuilder.DropIndex(
                name: "ix_knowledge_documents_processing",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "attempts",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "enabled",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "failure",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "failure_code",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "lease_until",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "progress",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "size_bytes",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "source",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "source_name",
                table: "knowledge_documents");

            migrationBuilder.DropColumn(
                name: "status",
                table: "knowledge_documents");
        }
    }
}
