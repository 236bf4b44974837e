// Shared by the in-process benchmarks that seed through SQL (leads, inbox). Included as source
// (<Compile Include="../shared/SeedVacuum.cs" />).
using Npgsql;

namespace OperatorConsole.Bench;

public static class SeedVacuum
{
    /// <summary>
    /// What autovacuum does within a minute of a bulk insert (autovacuum_vacuum_insert_threshold): <c>VACUUM (ANALYZE)</c>
    /// sets the visibility map, so counts read indexes alone as in a settled workspace. <c>--no-vacuum</c> among the
    /// program's arguments skips it, to time the minute before that.
    /// </summary>
    public static async Task RunAsync(string adminConnection, string[] args, params string[] tables)
    {
        if (args.Contains("--no-vacuum")) return;
        await using var conn = new NpgsqlConnection(adminConnection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"VACUUM (ANALYZE) {string.Join(", ", tables)}", conn) { CommandTimeout = 1800 };
        await cmd.ExecuteNonQueryAsync();
    }
}
