using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeEmbeddings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The backfill: existing passages get embedding_due_at = now() from the column default, so the embedding
            // worker gives them vectors as soon as an embedding model is configured.
            migrationBuilder.AddColumn<float[]>(
                name: "embedding",
                table: "knowledge_chunks",
                type: "real[]",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "embedding_attempts",
                table: "knowledge_chunks",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "embedding_due_at",
                table: "knowledge_chunks",
                type: "timestamp with time zone",
                nullable: true,
                defaultValueSql: "now()");

            migrationBuilder.AddColumn<string>(
                name: "embedding_model",
                table: "knowledge_chunks",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_chunks_embedding_due_at",
                table: "knowledge_chunks",
                column: "embedding_due_at",
                filter: "embedding_due_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_knowledge_chunks_embedding_due_at",
                table: "knowledge_chunks");

            migrationBuilder.DropColumn(
                name: "embedding",
                table: "knowledge_chunks");

            migrationBuilder.DropColumn(
                name: "embedding_attempts",
                table: "knowledge_chunks");

            migrationBuilder.DropColumn(
                name: "embedding_due_at",
                table: "knowledge_chunks");

            migrationBuilder.DropColumn(
                name: "embedding_model",
                table: "knowledge_chunks");
        }
    }
}
