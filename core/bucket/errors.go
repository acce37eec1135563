package bucket

const throttlingText = "The '%s' request was denied due to request throttling. If the problem persists check the following link to learn how to use the Retry configuration to avoid it: 'https://documentation.wazuh.com/current/amazon/services/prerequisites/considerations.html#Connection-configuration-for-retries': %s"
