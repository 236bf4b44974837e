using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.App.Live;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Live;

/// <summary>The app on a real Kestrel socket (SignalR clients need one), on its own database or on another node's.</summary>
public class SocketAppFactory : ConsoleAppFactory
{
    public SocketAppFactory() { }

    protected SocketAppFactory(string existingDatabase, IReadOnlyDictionary<string, string?>? settings) : base(existingDatabase, settings) { }

    protected override bool UseRealSocket => true;
}

/// <summary>Another node on an existing database, on its own socket.</summary>
public sealed class SocketNodeFactory(string existingDatabase, IReadOnlyDictionary<string, string?>? settings = null)
    : SocketAppFactory(existingDatabase, settings);

/// <summary>A hub connection that records what it receives.</summary>
public sealed class HubProbe(HubConnection connection) : IAsyncDisposable
{
    public HubConnection Connection { get; } = connection;
    public ConcurrentQueue<(string Method, ConversationChangedMessage Change)> Received { get; } = new();

    public bool Saw(string method, Guid conversationId) => Received.Any(r => r.Method == method && r.Change.ConversationId == conversationId);

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}

public static class LiveTestData
{
    public const string Password = "Str0ng!Pass";

    /// <summary>Adds a member (a new user) to the tenant; returns the member row.</summary>
    public static async Task<TenantMember> MemberAsync(this ConsoleAppFactory app, Guid tenantId, TenantRole role = TenantRole.Agent)
    {
        var email = $"{TestData.Unique("agent")}@member.test";
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { Id = Guid.NewGuid(), UserName = email, Email = email, EmailConfirmed = true, DisplayName = email };
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        var member = TenantMember.Create(tenantId, user.Id, role, DateTimeOffset.UtcNow);
        await using var work = app.Scopes.ForTenant(tenantId);
        work.Db.TenantMembers.Add(member);
        await work.Db.SaveChangesAsync();
        return member;
    }

    /// <summary>Changes a member row through its own methods (presence, capacity), as the app would.</summary>
    public static async Task<TenantMember> UpdateMemberAsync(this ConsoleAppFactory app, TenantMember member, Action<TenantMember> change)
    {
        await using var work = app.Scopes.ForTenant(member.TenantId);
        var row = await work.Db.TenantMembers.SingleAsync(m => m.Id == member.Id);
        change(row);
        await work.Db.SaveChangesAsync();
        return row;
    }

    public static async Task<TenantMember> ReadMemberAsync(this ConsoleAppFactory app, Guid tenantId, Func<TenantMember, bool> which)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return (await work.Db.TenantMembers.AsNoTracking().Where(m => m.TenantId == tenantId).ToListAsync()).Single(which);
    }

    /// <summary>Signs in through the real login form; returns the cookies a browser would hold.</summary>
    public static async Task<CookieContainer> SignInAsync(this ConsoleAppFactory app, string email, string password = Password)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.ServerAddress };
        var login = await new FormClient(http).LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return cookies;
    }

    public static HubConnection HubConnection(this ConsoleAppFactory app, CookieContainer? cookies, string? bearer = null) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(app.ServerAddress, ConsoleHub.Path), o =>
            {
                if (cookies is not null) o.Cookies = cookies;
                if (bearer is not null) o.AccessTokenProvider = () => Task.FromResult<string?>(bearer);
            })
            .Build();

    /// <summary>A started hub connection that records conversationChanged and inboxChanged.</summary>
    public static async Task<HubProbe> HubAsync(this ConsoleAppFactory app, CookieContainer? cookies, string? bearer = null)
    {
        var probe = new HubProbe(app.HubConnection(cookies, bearer));
        probe.Connection.On<ConversationChangedMessage>("conversationChanged", c => probe.Received.Enqueue(("conversationChanged", c)));
        probe.Connection.On<ConversationChangedMessage>("inboxChanged", c => probe.Received.Enqueue(("inboxChanged", c)));
        await probe.Connection.StartAsync();
        return probe;
    }
}
