using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>Key Appointments:MaxOpenPerContact — upcoming booked appointments one customer may hold at once.</summary>
public sealed class AppointmentLimitOptions
{
    [Range(1, int.MaxValue)] public int MaxOpenPerContact { get; set; } = 2;
}
