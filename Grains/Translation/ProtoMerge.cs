using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Protobuf merge as Istio's EnvoyFilter MERGE does it (<c>pkg/proto/merge</c>): every field set
/// in the source overwrites the destination's, messages merge field by field, repeated fields
/// append, map entries replace; but a <c>Duration</c> is replaced whole (protobuf's own merge
/// would mix the seconds of one with the nanoseconds of the other). Whatever is copied is a copy,
/// so the source can be merged again elsewhere. One difference from Go's: a wrapper value given
/// explicitly (<c>false</c>, <c>0</c>) replaces the destination's, as C#'s protobuf runtime
/// represents wrappers as nullable values rather than messages.
/// </summary>
public static class ProtoMerge
{
    /// <summary>Merges <paramref name="source"/> into <paramref name="destination"/>, which must be of the same message type.</summary>
    public static void Merge(IMessage destination, IMessage source)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(source);
        if (!string.Equals(destination.Descriptor.FullName, source.Descriptor.FullName, StringComparison.Ordinal))
        {
            throw new ArgumentException($"cannot merge a {source.Descriptor.FullName} into a {destination.Descriptor.FullName}", nameof(source));
        }

        foreach (var field in source.Descriptor.Fields.InFieldNumberOrder())
        {
            var accessor = field.Accessor;
            if (field.IsMap)
            {
                var to = (IDictionary)accessor.GetValue(destination);
                foreach (DictionaryEntry entry in (IDictionary)accessor.GetValue(source))
                {
                    to[entry.Key] = Copy(entry.Value);
                }
            }
            else if (field.IsRepeated)
            {
                var to = (IList)accessor.GetValue(destination);
                foreach (var item in (IList)accessor.GetValue(source))
                {
                    to.Add(Copy(item));
                }
            }
            else if (field.FieldType == FieldType.Message)
            {
                switch (accessor.GetValue(source))
                {
                    case null:
                        break;
                    case IMessage message when message.Descriptor.FullName != Duration.Descriptor.FullName
                        && accessor.GetValue(destination) is IMessage existing:
                        Merge(existing, message);
                        break;
                    case IMessage message:
                        accessor.SetValue(destination, Clone(message));
                        break;
                    case var wrapped:
                        accessor.SetValue(destination, wrapped);
                        break;
                }
            }
            else if (field.HasPresence ? accessor.HasValue(source) : !IsDefault(accessor.GetValue(source)))
            {
                accessor.SetValue(destination, accessor.GetValue(source));
            }
        }
    }

    /// <summary>A deep copy of <paramref name="message"/>.</summary>
    public static T Clone<T>(T message)
        where T : IMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        return (T)message.Descriptor.Parser.ParseFrom(message.ToByteString());
    }

    private static object? Copy(object? value) => value is IMessage message ? Clone(message) : value;

    private static bool IsDefault(object? value) => value switch
    {
        null => true,
        string text => text.Length == 0,
        ByteString bytes => bytes.IsEmpty,
        bool flag => !flag,
        System.Enum number => System.Convert.ToInt64(number, System.Globalization.CultureInfo.InvariantCulture) == 0,
        int number => number == 0,
        long number => number == 0,
        uint number => number == 0,
        ulong number => number == 0,
        float number => number == 0 && !float.IsNegative(number),
        double number => number == 0 && !double.IsNegative(number),
        _ => false,
    };
}
