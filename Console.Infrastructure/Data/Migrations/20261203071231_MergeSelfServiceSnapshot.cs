using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OperatorConsole.Infrastructure.Data.Migrations
{
    /// <inheritdoc />
    public partial class MergeSelfServiceSnapshot : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Model snapshot merge only: the branch migrations create everything.
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Model snapshot merge only: the branch migrations create everything.
        }
    }
}
