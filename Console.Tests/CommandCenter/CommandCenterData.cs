using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.App.Auth;
using Roles = OperatorConsole.Infrastructure.Identity.Roles;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

public sealed record TestSuperAdmin(Guid Id, string Email, string Password);

/// <summary>Data the command center's tests own: their own super admin, token-usage rows.</summary>
public static class CommandCenterData
{
    public const string Password = "Sup3r!Admin";

    /// <summary>A super admin of the test's own, reading <paramref name="culture"/> (every test that needs one makes it here).</summary>
    public static async Task<TestSuperAdmin> SuperAdminAsync(this ConsoleAppFactory app, string culture = "es", string password = Password)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var email = TestData.Unique("root") + "@platform.test";
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(), UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Sara Plataforma", Culture = culture,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        Assert.True((await users.AddToRoleAsync(user, Roles.SuperAdmin)).Succeeded);
        return new TestSuperAdmin(user.Id, email, password);
    }

    /// <summary>An HTTP client signed in through the login form (cookies kept, redirects not followed).</summary>
    public static async Task<HttpClient> SignedInAsync(this ConsoleAppFactory app, string email, string password)
    {
        var http = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var login = await new FormClient(http).LoginAsync(email, password);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, login.StatusCode);
        return http;
    }

    public static async Task UsageAsync(this ConsoleAppFactory app, Guid tenantId, params (string Provider, string Model, LlmFeature Feature, long In, long Out, decimal Cost, DateTimeOffset At)[] rows)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        foreach (var r in rows)
            work.Db.TokenUsage.Add(TokenUsage.Record(tenantId, null, r.Provider, r.Model, r.Feature, r.In, r.Out, r.Cost, r.At));
        await work.Db.SaveChangesAsync();
    }
}
