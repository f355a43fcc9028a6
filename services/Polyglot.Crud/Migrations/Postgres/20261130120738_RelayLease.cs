using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Polyglot.Crud.Migrations.Postgres
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
                    Name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Holder = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false)
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
