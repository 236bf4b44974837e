using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Scheduling;

namespace OperatorConsole.Infrastructure.Reminders;

public static class ReminderServices
{
    /// <summary>Appointment reminders: items kept in step with appointments, their sending, and the customer's confirm / cancel.</summary>
    public static IServiceCollection AddAppointmentReminders(this IServiceCollection services)
    {
        services.AddSingleton<Events.IEventRecorder, AppointmentReminderRecorder>();
        services.AddSingleton<Events.IDomainEventHandler, AppointmentReminderTriggers>();
        services.AddSingleton<IScheduledItemRunner, AppointmentReminderRunner>();
        services.AddSingleton<AppointmentReplies>();
        services.AddSingleton<ReminderSettingsStore>();
        return services;
    }
}
