using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Tests.Support;

/// <summary>Builders for data a test owns: unique slugs and e-mails so tests never share rows.</summary>
public static class TestData
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    public static async Task<ProvisionedTenant> TenantAsync(this ConsoleAppFactory app, string? name = null, string password = "Str0ng!Pass")
    {
        await using var scope = app.Services.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<TenantProvisioning>();
        var slug = Unique("t");
        return await provisioning.CreateAsync(new NewTenant(name ?? slug, slug, Plan.Starter, $"{slug}@owner.test", password), "test");
    }
}
