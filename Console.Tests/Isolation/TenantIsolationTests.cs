using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Isolation;

public class TenantIsolationTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    /// <summary>
    /// Row-level security on every tenant table (<see cref="DatabaseSetup.TenantTables"/>, iterated, so a new table is covered),
    /// with raw SQL as the role the app serves requests as: with tenant B set, none of A's rows is visible, updated, deleted
    /// or written; with no tenant set, nothing at all. A's own context sees its rows (so a zero is the policy, not an empty table).
    /// </summary>
    [Fact]
    public async Task Rls_every_tenant_table_hides_and_guards_another_tenants_rows_in_raw_SQL()
    {
        var world = await IsolationWorld.CreateAsync(app);
        var a = world.Tenant.Id;
        var b = await app.TenantAsync();
        await using var root = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString) { Database = app.Database }.ConnectionString);
        await root.OpenAsync();
        var filled = new List<string>();
        var failures = new List<string>();
        try
        {
            foreach (var table in DatabaseSetup.TenantTables)
            {
                if (await ScalarAsync<long>(root, $"SELECT count(*) FROM {table} WHERE tenant_id = @a", ("a", a)) == 0)
                {
                    // Tables the app fills only through longer stories (usage, merges, Stripe events…): a row of A's written as
                    // the superuser, foreign keys aside, is all the policy needs to be tested against.
                    if (await FillAsync(root, table, a) is { } why) { failures.Add($"seed a row in {table}: {why}"); continue; }
                    filled.Add(table);
                }
                var row = await ScalarAsync<string>(root, $"SELECT row_to_json(x)::text FROM {table} x WHERE tenant_id = @a LIMIT 1", ("a", a));
                var asA = await AsAppAsync(a, c => ScalarAsync<long>(c, $"SELECT count(*) FROM {table} WHERE tenant_id = @a", ("a", a)));
                if (asA == 0) failures.Add($"{table}: tenant A does not see its own rows");
                var seen = await AsAppAsync(b.Id, c => ScalarAsync<long>(c, $"SELECT count(*) FROM {table} WHERE tenant_id = @a", ("a", a)));
                var updated = await AsAppAsync(b.Id, c => ExecAsync(c, $"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = @a", ("a", a)));
                var deleted = await AsAppAsync(b.Id, c => ExecAsync(c, $"DELETE FROM {table} WHERE tenant_id = @a", ("a", a)));
                var unscoped = await AsAppAsync(null, c => ScalarAsync<long>(c, $"SELECT count(*) FROM {table}"));
                if (seen != 0) failures.Add($"{table}: tenant B sees {seen} of A's rows");
                if (updated != 0) failures.Add($"{table}: tenant B updated {updated} of A's rows");
                if (deleted != 0) failures.Add($"{table}: tenant B deleted {deleted} of A's rows");
                if (unscoped != 0) failures.Add($"{table}: {unscoped} rows visible without a tenant");
                // A copy of A's row written in B's context is refused by the policy's WITH CHECK (before any key or constraint).
                var columns = string.Join(", ", await WritableColumnsAsync(root, table));
                var insert = await Record.ExceptionAsync(() => AsAppAsync(b.Id, c => ExecAsync(c,
                    $"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_record(null::{table}, @row::json)", ("row", row!))));
                if (insert is not PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege })
                    failures.Add($"{table}: tenant B writing a row of A's was not refused by the policy ({insert?.Message ?? "it was written"})");
                // …and so is moving one of B's own rows into A.
                var movedRows = 0;
                var moved = await Record.ExceptionAsync(async () =>
                    movedRows = await AsAppAsync(b.Id, c => ExecAsync(c, $"UPDATE {table} SET tenant_id = @a", ("a", a))));
                if (movedRows != 0) failures.Add($"{table}: tenant B moved {movedRows} of its rows into A");
                if (moved is not (null or PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege }))
                    failures.Add($"{table}: moving B's rows into A failed otherwise: {moved.Message}");
                if (await ScalarAsync<long>(root, $"SELECT count(*) FROM {table} WHERE tenant_id = @a", ("a", a)) != asA)
                    failures.Add($"{table}: A's rows changed");
            }
        }
        finally
        {
            foreach (var session in _sessions.Values) await session.DisposeAsync();
            await ExecAsync(root, "SET session_replication_role = replica");
            foreach (var table in filled) await ExecAsync(root, $"DELETE FROM {table} WHERE tenant_id = @a", ("a", a));
            await ExecAsync(root, "SET session_replication_role = DEFAULT");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(DatabaseSetup.TenantTables.Count >= 50);
    }

    private readonly Dictionary<Guid, NpgsqlConnection> _sessions = [];

    /// <summary>The serving role on a session of its own per tenant, with <c>app.tenant_id</c> set as the app sets it (Guid.Empty: nothing set).</summary>
    private async Task<T> AsAppAsync<T>(Guid? tenant, Func<NpgsqlConnection, Task<T>> work)
    {
        if (!_sessions.TryGetValue(tenant ?? Guid.Empty, out var conn))
        {
            conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(app.AppConnectionString) { Pooling = false }.ConnectionString);
            await conn.OpenAsync();
            if (tenant is { } t) await ExecAsync(conn, "SELECT set_config('app.tenant_id', @t, false)", ("t", t.ToString()));
            _sessions[tenant ?? Guid.Empty] = conn;
        }
        return await work(conn);
    }

    /// <summary>One row of <paramref name="tenant"/>'s in <paramref name="table"/>, a plain value for every required column; null, or why not.</summary>
    private static async Task<string?> FillAsync(NpgsqlConnection root, string table, Guid tenant)
    {
        var columns = new List<(string Name, string Type, int? Length)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT column_name, data_type, character_maximum_length FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = @t AND is_nullable = 'NO' AND column_default IS NULL
              AND is_generated = 'NEVER' AND is_identity = 'NO'
            """, root))
        {
            cmd.Parameters.AddWithValue("t", table);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) columns.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2)));
        }
        string Value((string Name, string Type, int? Length) c) => c.Name == "tenant_id" ? "@tenant" : c.Type switch
        {
            "uuid" => "gen_random_uuid()",
            "text" or "character varying" => $"left(md5(random()::text), {Math.Min(c.Length ?? 12, 12)})",
            "smallint" or "integer" or "bigint" or "numeric" or "real" or "double precision" => "1",
            "boolean" => "false",
            "timestamp with time zone" or "timestamp without time zone" or "date" => "now()",
            "interval" => "interval '1 minute'",
            "json" or "jsonb" => "'{}'",
            "bytea" => "'\\x00'::bytea",
            "ARRAY" => "'{}'",
            "tsvector" => "''::tsvector",
            _ => $"NULL /* {c.Type} */",
        };
        var sql = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select(Value))})";
        try
        {
            await ExecAsync(root, "SET session_replication_role = replica");
            await ExecAsync(root, sql, ("tenant", tenant));
            return null;
        }
        catch (PostgresException ex)
        {
            return $"{ex.MessageText} ({sql})";
        }
        finally
        {
            await ExecAsync(root, "SET session_replication_role = DEFAULT");
        }
    }

    private static async Task<List<string>> WritableColumnsAsync(NpgsqlConnection root, string table)
    {
        var columns = new List<string>();
        await using var cmd = new NpgsqlCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @t AND is_generated = 'NEVER'", root);
        cmd.Parameters.AddWithValue("t", table);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) columns.Add(reader.GetString(0));
        return columns;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection conn, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Every_tenant_owned_and_platform_table_has_forced_row_level_security()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OperatorConsole.Infrastructure.Data.AppDbContext>();
        // Every entity that carries a tenant id must be listed (and so get a policy in its migration).
        var tenantOwned = db.Model.GetEntityTypes().Where(t => typeof(OperatorConsole.Domain.Common.ITenantOwned).IsAssignableFrom(t.ClrType))
            .Select(t => t.GetTableName()!).ToList();
        Assert.All(tenantOwned, t => Assert.Contains(t, OperatorConsole.Infrastructure.Data.DatabaseSetup.TenantTables));

        await using var conn = new NpgsqlConnection(app.OwnerConnectionString);
        await conn.OpenAsync();
        var listed = OperatorConsole.Infrastructure.Data.DatabaseSetup.TenantTables
            .Concat(OperatorConsole.Infrastructure.Data.DatabaseSetup.MixedTables)
            .Concat(OperatorConsole.Infrastructure.Data.DatabaseSetup.PlatformTables).ToArray();
        await using var cmd = new NpgsqlCommand(
            "SELECT relname FROM pg_class WHERE relname = ANY(@t) AND relrowsecurity AND relforcerowsecurity", conn);
        cmd.Parameters.AddWithValue("t", listed);
        var secured = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) secured.Add(reader.GetString(0));
        Assert.Equal(listed.Order(), secured.Order());
    }

    [Fact]
    public async Task The_app_serves_requests_as_a_role_that_cannot_bypass_row_level_security()
    {
        await using var conn = new NpgsqlConnection(app.AppConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user", conn);
        Assert.Equal(false, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Channel_credentials_are_not_readable_as_plain_text_in_the_database()
    {
        var tenant = await app.TenantAsync();
        const string token = "EAAGsecretAccessToken1234567890";
        const string secret = "app-secret-9f8e7d6c5b";
        var channel = await app.Services.GetRequiredService<ChannelConnections>().ConnectAsync(tenant.Id,
            new ConnectChannel(ChannelKind.WhatsApp, TestData.Unique("pn").Replace("-", ""), "waba1", "Ventas", token, secret, "verify-me"), "test");

        // Read the row as the table owner, bypassing the app entirely.
        await using var conn = new NpgsqlConnection(app.OwnerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SET app.platform = 'on'; SELECT row_to_json(c)::text FROM channels c WHERE id = @id", conn);
        cmd.Parameters.AddWithValue("id", channel.Id);
        var row = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.DoesNotContain(token, row);
        Assert.DoesNotContain(secret, row);
        Assert.DoesNotContain("verify-me", row);

        // …and the app can still use them.
        var revealed = app.Services.GetRequiredService<SecretProtector>().Reveal(channel);
        Assert.Equal((token, secret, "verify-me"), (revealed.AccessToken, revealed.AppSecret, revealed.VerifyToken));
    }

    [Fact]
    public async Task A_member_sees_their_own_memberships_of_every_tenant_but_no_one_elses()
    {
        var a = await app.TenantAsync();
        var b = await app.TenantAsync();
        await using var work = app.Scopes.ForUser(a.OwnerUserId);
        var visible = await work.Db.TenantMembers.IgnoreQueryFilters().Select(m => m.TenantId).ToListAsync();
        Assert.Contains(a.Id, visible);
        Assert.DoesNotContain(b.Id, visible);
    }
}
