-- One server, three databases: the feedback store (POSTGRES_DB), MLflow's backend and Prefect's.
CREATE DATABASE mlflow;
CREATE DATABASE prefect;
