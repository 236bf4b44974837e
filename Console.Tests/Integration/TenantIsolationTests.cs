using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Integration;

public class TenantIsolationTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private async Task<(Guid A, Guid B, Guid ContactOfB)> TwoTenantsWithContactsAsync()
    {
        var a = await app.TenantAsync();
        var b = await app.TenantAsync();
        await using (var work = app.Scopes.ForTenant(a.Id))
        {
            work.Db.Contacts.Add(Contact.Create(a.Id, "Ana de A", "5215511111111", DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        var contactOfB = Contact.Create(b.Id, "Beto de B", "5215522222222", DateTimeOffset.UtcNow);
        await using (var work = app.Scopes.ForTenant(b.Id))
        {
            work.Db.Contacts.Add(contactOfB);
            await work.Db.SaveChangesAsync();
        }
        return (a.Id, b.Id, contactOfB.Id);
    }

    [Fact]
    public async Task Raw_SQL_in_tenant_A_context_returns_none_of_tenant_B_rows()
    {
        var (a, _, contactOfB) = await TwoTenantsWithContactsAsync();
        await using var work = app.Scopes.ForTenant(a);

        // Raw SQL bypasses EF's query filters entirely: only PostgreSQL row-level security stands in the way.
        var names = await work.Db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM contacts").ToListAsync();
        Assert.Equal(["Ana de A"], names);
        var seenB = await work.Db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM contacts WHERE id = {contactOfB}").SingleAsync();
        Assert.Equal(0, seenB);
        // Turning the EF filter off changes nothing either.
        Assert.False(await work.Db.Contacts.IgnoreQueryFilters().AnyAsync(c => c.Id == contactOfB));
    }

    [Fact]
    public async Task Without_a_tenant_context_no_tenant_rows_are_visible()
    {
        await TwoTenantsWithContactsAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OperatorConsole.Infrastructure.Data.AppDbContext>();
        Assert.Equal(0, await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM contacts").SingleAsync());
    }

    [Fact]
    public async Task A_tenant_cannot_write_rows_into_another_tenant()
    {
        var (a, b, _) = await TwoTenantsWithContactsAsync();
        await using var work = app.Scopes.ForTenant(a);

        work.Db.Contacts.Add(Contact.Create(b, "Intruso", null, DateTimeOffset.UtcNow));
        await Assert.ThrowsAsync<TenantIsolationException>(() => work.Db.SaveChangesAsync());
        work.Db.ChangeTracker.Clear();

        // Even raw SQL is refused by the policy's WITH CHECK.
        var ex = await Assert.ThrowsAsync<PostgresException>(() => work.Db.Database.ExecuteSqlAsync(
            $"INSERT INTO contacts (id, tenant_id, stage_id, score, temperature, bot_enabled, created_at, fields) VALUES (gen_random_uuid(), {b}, gen_random_uuid(), 50, 'Warm', true, now(), '{{}}')"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState);
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
