using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Agent;

public static class AgentSetup
{
    public static IServiceCollection AddAgentRunner(this IServiceCollection services)
    {
        services.AddSection<AgentOptions>("Agent");
        services.AddSingleton<LlmGateway>();
        services.AddSingleton<AgentFiles>();
        services.AddSingleton<ModelAllowlist>();
        services.AddSection<AppointmentLimitOptions>("Appointments");
        services.AddSingleton<AgentBuffers>();
        services.AddSingleton<AgentProfiles>();
        services.AddSingleton<AgentEngine>();
        services.AddSingleton<Handoffs>();
        services.AddSingleton<LeadAnalyzer>();
        // A turn in four pieces (claim, prepare, decide, commit); its figures go to ConsoleTelemetry.
        services.AddSingleton<AgentTurnClaims>();
        services.AddSingleton<TurnPreparer>();
        services.AddSingleton<TurnCommitter>();
        services.AddSingleton<AgentRunner>();
        services.AddSingleton<AgentSandbox>();
        services.AddSingleton<Copilot>();
        services.AddScoped<KnowledgeBase>();
        // Hybrid retrieval: passage vectors behind one index (real[] today), embedded in the background.
        services.AddSingleton<KnowledgeEmbeddings>();
        services.AddSingleton<IVectorIndex, ArrayVectorIndex>();
        services.AddSingleton<KnowledgeEmbeddingSignal>();
        services.AddHostedService<KnowledgeEmbeddingWorker>();
        services.AddKnowledgeSources();
        services.AddHttpClient(Tools.CustomToolRunner.HttpClientName).ConfigurePrimaryHttpMessageHandler(sp => Security.GuardedNetwork.CreateHandler(sp));
        services.AddSingleton<Tools.CustomToolRunner>();
        services.AddSingleton<Tools.ToolCatalog>();
        services.AddHostedService<AgentWorker>();
        // Replay evaluation: the draft against past conversations, in the background, through the sandbox.
        services.AddSection<Replay.ReplayOptions>(Replay.ReplayOptions.Section);
        services.AddSingleton<Replay.ReplaySignal>();
        services.AddSingleton<Replay.ReplayJudge>();
        services.AddSingleton<Replay.ReplayRuns>();
        services.AddHostedService<Replay.ReplayWorker>();
        return services;
    }
}
