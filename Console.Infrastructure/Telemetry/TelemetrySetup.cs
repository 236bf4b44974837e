using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Telemetry;

public static class TelemetrySetup
{
    /// <summary>How often the dashboard's reader collects the meter (the dashboard shows a webhook within about this plus its own refresh).</summary>
    public const int DashboardExportMilliseconds = 500;

    /// <summary>
    /// The <c>OperatorConsole</c> meter and activity source through OpenTelemetry: the dashboard's reader (delta, every
    /// half second, into <see cref="MetricMinutes"/>), OTLP metrics and traces only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set (the exporter reads the standard OTEL_* variables); the host adds the Prometheus scrape endpoint.
    /// Plus this node's heartbeat and the cluster's figures for the command center.
    /// </summary>
    public static IServiceCollection AddConsoleTelemetry(this IServiceCollection services, IConfiguration config)
    {
        services.AddMetrics();
        services.AddSingleton<ConsoleTelemetry>();
        services.AddSingleton<MessageMetrics>();
        services.AddSingleton<Events.IDomainEventHandler>(sp => sp.GetRequiredService<MessageMetrics>());
        services.AddSection<NodeOptions>("Nodes");
        services.AddSingleton<NodeIdentity>();
        services.AddSingleton<CircuitCount>();
        services.AddSingleton<MetricMinutes>();
        services.AddSingleton<ClusterFigures>();
        services.AddSingleton<OperationsProbe>();
        services.AddHostedService<NodeHeartbeat>();
        services.AddHostedService<MetricMinutesWriter>();

        var otlp = !string.IsNullOrWhiteSpace(config["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(config["OTEL_SERVICE_NAME"] ?? "operator-console"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ConsoleTelemetry.Name);
                metrics.AddView(instrument => instrument.Meter.Name == ConsoleTelemetry.Name && instrument is System.Diagnostics.Metrics.Histogram<double>
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = HistogramBounds.For(instrument.Name) }
                    : null);
                metrics.AddReader(sp => new PeriodicExportingMetricReader(
                    new DashboardMetricExporter(sp.GetRequiredService<MetricMinutes>(), sp.GetRequiredService<NodeIdentity>(), sp.GetRequiredService<TimeProvider>()), DashboardExportMilliseconds)
                {
                    TemporalityPreference = MetricReaderTemporalityPreference.Delta,
                });
                if (otlp) metrics.AddOtlpExporter();
            });
        // Spans cost only when something records them: without a collector the source has no listener.
        if (otlp) otel.WithTracing(tracing => tracing.AddSource(ConsoleTelemetry.Name).AddOtlpExporter());
        return services;
    }
}
