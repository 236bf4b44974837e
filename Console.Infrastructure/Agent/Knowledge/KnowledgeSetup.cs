using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Agent.Knowledge;

public static class KnowledgeSetup
{
    /// <summary>Files and web pages for the knowledge base, read in the background on every node.</summary>
    public static IServiceCollection AddKnowledgeSources(this IServiceCollection services)
    {
        services.AddSection<KnowledgeOptions>("Knowledge");
        services.AddSingleton<KnowledgeSignal>();
        services.AddSingleton<KnowledgeSources>();
        services.AddSingleton<KnowledgeProcessor>();
        // Pages are tenant-chosen addresses: public ones only (plus Network:PrivateAllowlist), checked at connect time.
        services.AddHttpClient(KnowledgeProcessor.HttpClientName, (sp, c) =>
                c.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<KnowledgeOptions>>().Value.FetchTimeoutSeconds + 5))
            .ConfigurePrimaryHttpMessageHandler(sp => Security.GuardedNetwork.CreateHandler(sp));
        services.AddHostedService<KnowledgeWorker>();
        return services;
    }
}
