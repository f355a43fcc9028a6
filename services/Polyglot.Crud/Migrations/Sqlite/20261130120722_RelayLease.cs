using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Polyglot.Crud.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RelayLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RelayLeases",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Holder = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RelayLeases", x => x.Name);
                });

            migrationBuilder.InsertData(
                table: "RelayLeases",
                columns: new[] { "Name", "ExpiresAt", "Holder" },
                values: new object[] { "relay", 0L, null });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RelayLeases");
        }
    }
}
