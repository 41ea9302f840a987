import OneCore
