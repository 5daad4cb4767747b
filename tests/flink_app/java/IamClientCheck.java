// Test support (tests/flink_app/test_packaging.py): builds the connector jar's shaded Kafka consumer with the
// job's MSK IAM settings, as the Kafka source does. Construction configures SASL: it instantiates the callback
// handler (type-checked against the client's own AuthenticateCallbackHandler) and runs the JAAS login with
// IAMLoginModule. No broker is contacted. Usage: java -cp <jars> IamClientCheck.java host:port
import java.util.Properties;

public class IamClientCheck {
    private static final String SHADED = "org.apache.flink.kafka.shaded.";

    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.put("bootstrap.servers", args[0]);
        properties.put("security.protocol", "SASL_SSL");
        properties.put("sasl.mechanism", "AWS_MSK_IAM");
        properties.put("sasl.jaas.config", "software.amazon.msk.auth.iam.IAMLoginModule required;");
        properties.put(
            "sasl.client.callback.handler.class", "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
        String bytes = SHADED + "org.apache.kafka.common.serialization.ByteArrayDeserializer";
        properties.put("key.deserializer", bytes);
        properties.put("value.deserializer", bytes);
        Class<?> consumerClass = Class.forName(SHADED + "org.apache.kafka.clients.consumer.KafkaConsumer");
        Object consumer = consumerClass.getConstructor(Properties.class).newInstance(properties);
        consumerClass.getMethod("close").invoke(consumer);
        System.out.println("OK: the shaded Kafka client accepted the MSK IAM login module and callback handler");
    }
}
