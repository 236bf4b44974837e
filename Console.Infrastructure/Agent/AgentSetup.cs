using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Infrastructure.Agent;

public static class AgentSetup
{
    public static IServiceCollection AddAgentRunner(this IServiceCollection services)
    {
        services.AddOptions<AgentOptions>().BindConfiguration("Agent");
        services.AddSingleton<LlmGateway>();
        services.AddOptions<ModelAllowlistOptions>().BindConfiguration("Platform");
        services.AddSingleton<ModelAllowlist>();
        services.AddOptions<AppointmentLimitOptions>().BindConfiguration("Appointments")
            .Validate(o => o.MaxOpenPerContact >= 1, "Appointments:MaxOpenPerContact must be at least 1.").ValidateOnStart();
        services.AddSingleton<AgentBuffers>();
        services.AddSingleton<AgentProfiles>();
        services.AddSingleton<AgentEngine>();
        services.AddSingleton<Handoffs>();
        services.AddSingleton<LeadAnalyzer>();
        services.AddSingleton<AgentRunner>();
        services.AddSingleton<AgentSandbox>();
        services.AddSingleton<Copilot>();
        services.AddScoped<KnowledgeBase>();
        services.AddHttpClient(Tools.CustomToolRunner.HttpClientName).ConfigurePrimaryHttpMessageHandler(sp => Security.GuardedNetwork.CreateHandler(sp));
        services.AddSingleton<Tools.CustomToolRunner>();
        services.AddHostedService<AgentWorker>();
        return services;
    }
}
