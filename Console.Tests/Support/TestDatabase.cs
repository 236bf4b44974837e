using Npgsql;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Tests.Support;

/// <summary>
/// Real PostgreSQL for tests. `./console.sh test` starts a throwaway cluster and sets CONSOLE_TEST_PG (a superuser
/// connection). The schema is migrated once into a template database; each test class gets its own copy
/// (CREATE DATABASE … TEMPLATE is a file copy: milliseconds, not a migration run).
/// </summary>
public static class TestDatabase
{
    public const string OwnerRole = "console_owner";
    public const string AppRole = "console_app";
    private const string Template = "console_template";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _templateReady;

    public static string AdminConnectionString { get; } =
        Environment.GetEnvironmentVariable("CONSOLE_TEST_PG") ?? "Host=127.0.0.1;Port=55433;Username=postgres;Password=postgres";

    public static string For(string database, string role) => new NpgsqlConnectionStringBuilder(AdminConnectionString)
    {
        Database = database,
        Username = role,
        Password = role,
        // Many test classes run at once against one cluster: keep each pool small.
        MaxPoolSize = 20,
    }.ConnectionString;

    /// <summary>Creates a fresh, migrated database; returns its name.</summary>
    public static async Task<string> CreateAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (!_templateReady)
            {
                await BuildTemplateAsync();
                _templateReady = true;
            }
            var name = "t_" + Guid.NewGuid().ToString("N")[..16];
            await ExecAsync($"CREATE DATABASE {name} TEMPLATE {Template} OWNER {OwnerRole}");
            return name;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task DropAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }

    private static async Task BuildTemplateAsync()
    {
        await ExecAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OwnerRole}') THEN
                CREATE ROLE {OwnerRole} LOGIN CREATEDB PASSWORD '{OwnerRole}';
              END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AppRole}') THEN
                CREATE ROLE {AppRole} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{AppRole}';
              END IF;
            END $$;
            """);
        await ExecAsync($"DROP DATABASE IF EXISTS {Template} WITH (FORCE)");
        await ExecAsync($"CREATE DATABASE {Template} OWNER {OwnerRole}");
        await DatabaseInitializer.MigrateAsync(For(Template, OwnerRole), For(Template, AppRole));
        // A template cannot be copied while anyone is connected to it.
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task ExecAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(AdminConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
