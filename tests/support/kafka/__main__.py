"""`python -m tests.support.kafka`: fetch the broker's jars ahead of the tests and print where they are."""

from tests.support.kafka import kafka_libs

if __name__ == "__main__":
    print(kafka_libs())
