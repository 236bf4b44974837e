using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Demo;

public static class DemoStartup
{
    /// <summary>
    /// Seeds the demo workspace when Demo:Seed is on. Call it after DatabaseInitializer: the seed needs the schema and
    /// the platform roles.
    /// </summary>
    public static async Task SeedDemoIfConfiguredAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        if (!services.GetRequiredService<IOptions<DemoOptions>>().Value.Seed) return;
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(ct);
    }
}
